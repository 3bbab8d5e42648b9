import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../src/actors/certificate.js';
import { LogState } from '../../src/actors/log-state.js';
import type { ShareClassConfig } from '../../src/actors/share-class-actor.js';
import { CertificateError } from '../../src/errors.js';
import { FakeLedger, fakeInstance, type AppendFate } from '../support/fake-ledger.js';

const CLASSES: ShareClassConfig[] = [
  { code: 'CS', authorized: 200 },
  { code: 'PS', authorized: 50 },
];

const request = fc.record({ instance: fc.nat(2), class: fc.constantFrom('CS', 'PS'), amount: fc.integer({ min: 1, max: 20 }) });
const fate = fc.constantFrom<AppendFate>('ok', 'ok', 'ok', 'landed-unacknowledged', 'lost', 'late');

/** What the runs exercised, so the property cannot pass on schedules that never hit a fault. */
const seen = { voids: 0, renumbered: 0, lateLandings: 0, refusals: 0, runs: 0 };

/**
 * TigerBeetle-style: up to three writers on one log (as if the election failed completely), with
 * requests arriving at random instances and every write meeting a random fate, all in an order
 * fast-check's scheduler picks. The invariants are checked against a fresh reader of the whole log.
 */
describe('fault simulator: several writers, lost answers, lost and late writes, any interleaving', () => {
  it('keeps one gap-free numbering, acknowledges only valid certificates, each once, and answers every request', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 3 }),
        fc.array(request, { minLength: 1, maxLength: 40 }),
        fc.infiniteStream(fate),
        async (scheduler, writers, requests, fates) => {
          const ledger = new FakeLedger();
          const fateOf = fates[Symbol.iterator]();
          ledger.fate = () => fateOf.next().value as AppendFate;
          // Every write waits for the scheduler: writes of different instances land in any order.
          ledger.beforeLanding = () => scheduler.schedule(Promise.resolve(), 'write lands');
          const instances = await Promise.all(Array.from({ length: writers }, () => fakeInstance(ledger, CLASSES, { maxAttempts: 8 })));

          const outcomes = requests.map(({ instance, ...ask }, index) =>
            scheduler
              .schedule(Promise.resolve(), `request ${index}`)
              .then(() => instances[instance % writers]!.sequencers.issue({ ...ask, name: `Holder ${index}` }))
              .then(
                (certificate): { certificate: Certificate } => ({ certificate }),
                (error: unknown): { error: unknown } => ({ error }),
              ),
          );
          // An instance that stops and resumes writing (a role change) or serves a lookup past its
          // state reads the log before its next write, while requests are numbered on what it knew.
          const rereads = requests.map((_, index) =>
            scheduler.schedule(Promise.resolve(), `instance ${index % writers} reads the log again`).then(() => {
              const { writer } = instances[index % writers]!;
              if (index % 2 === 0) writer.forget();
              else return writer.sync().catch(() => undefined);
            }),
          );
          // Late writes land at moments the scheduler picks too.
          const late = scheduler.schedule(Promise.resolve(), 'late writes land').then(() => {
            while (ledger.deliverLate()) seen.lateLandings += 1;
          });
          let answered = 0;
          for (const outcome of outcomes) void outcome.then(() => (answered += 1));
          // The group commit writes one event-loop turn later: let each turn schedule its writes, then run them.
          while (answered < outcomes.length || scheduler.count() > 0) {
            await scheduler.waitAll();
            await new Promise((resolve) => setImmediate(resolve));
          }
          const answers = await Promise.all(outcomes);
          await Promise.all([late, ...rereads]);
          while (ledger.deliverLate()) seen.lateLandings += 1;

          const reader = new LogState(CLASSES, { voidRecord: (reason) => expect(reason).toBe('misplaced') });
          reader.apply(ledger.entries());
          seen.voids += reader.voidRecords;
          seen.runs += 1;

          const acknowledged = new Set<string>();
          answers.forEach((answer, index) => {
            if ('certificate' in answer) {
              const { certificate } = answer;
              expect(acknowledged.has(certificate.id), `${certificate.id} acknowledged twice`).toBe(false);
              acknowledged.add(certificate.id);
              expect(reader.index(certificate.class)!.get(certificate.number)).toEqual(certificate);
              expect(certificate.name).toBe(`Holder ${index}`);
              return;
            }
            expect(answer.error).toBeInstanceOf(CertificateError);
            const { code, details } = answer.error as CertificateError;
            expect(['insufficient_shares', 'log_unavailable']).toContain(code);
            if (code === 'insufficient_shares') {
              seen.refusals += 1;
              const { requested, remaining } = details as { requested: number; remaining: number };
              const finalRemaining =
                CLASSES.find(({ code: c }) => c === requests[index]!.class)!.authorized -
                reader.index(requests[index]!.class)!.sharesIssued;
              expect(requested).toBeGreaterThan(remaining);
              expect(remaining).toBeGreaterThanOrEqual(finalRemaining);
            }
          });

          // No request became two certificates, whoever wrote them.
          const requestIds = CLASSES.flatMap(({ code }) => {
            const index = reader.index(code)!;
            return Array.from({ length: index.count }, (_, at) => index.get(at + 1)!);
          });
          expect(requestIds.length).toBe(reader.index('CS')!.count + reader.index('PS')!.count);
          const validRequests = ledger.entries().filter((entry) => entry.record !== undefined && entry.record.offset === entry.offset);
          const named = validRequests.map((entry) => entry.record!.request);
          expect(new Set(named).size).toBe(named.length);
          seen.renumbered += ledger.records.length - new Set(ledger.records.map((record) => record.request)).size;

          // Every instance, once it reads the log again, agrees with the fresh reader.
          for (const { writer, state } of instances) {
            await writer.sync();
            for (const { code } of CLASSES) expect(state.index(code)!.sharesIssued).toBe(reader.index(code)!.sharesIssued);
          }
        },
      ),
      { numRuns: Number(process.env.SIM_RUNS ?? 1000), timeout: 5000 },
    );
    expect(seen.runs).toBeGreaterThanOrEqual(1000);
    expect(seen.voids).toBeGreaterThan(0);
    expect(seen.renumbered).toBeGreaterThan(0);
    expect(seen.lateLandings).toBeGreaterThan(0);
    expect(seen.refusals).toBeGreaterThan(0);
    console.log(`[simulator] ${JSON.stringify(seen)}`);
  });
});
