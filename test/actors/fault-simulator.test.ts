import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Certificate } from '../../src/core/certificate.js';
import type { EventDone, EventRequest, LoggedEvent } from '../../src/core/events.js';
import type { EncodedRecord } from '../../src/core/ledger.js';
import { encodeRecords, readRecord } from '../../src/core/record-format.js';
import { checkProof } from '../../src/core/proof.js';
import { encodeSeal, SEAL_KEY } from '../../src/core/seal.js';
import type { SigningKeys } from '../../src/signing/signing-keys.js';
import { signingKeys } from '../support/signing.js';
import { DEFAULTS } from '../../src/config.js';
import { LogState } from '../../src/core/log-state.js';
import type { ShareClassConfig } from '../../src/core/share-class.js';
import { CertificateError } from '../../src/core/errors.js';
import { FakeLedger, fakeInstance, foreignRecord, nextTurn, type AppendFate, type FakeInstance } from '../support/fake-ledger.js';
import { asking } from '../support/requests.js';

const CLASSES: ShareClassConfig[] = [
  { code: 'CS', authorized: 200 },
  { code: 'PS', authorized: 50 },
];
const AUTHORIZED = new Map(CLASSES.map(({ code, authorized }) => [code, authorized]));
const SIGNING = signingKeys();
/** Time passes only when a schedule says so (fake timers): a batch then outlives its ack timeout at once. */
const ACK_TIMEOUT_MS = 1000;
/** Enough for any schedule to settle; beyond it a request was left unanswered (a liveness bug). */
const MAX_QUIESCENCE_TURNS = 10_000;

type Step =
  /** A client asks an instance for a certificate. */
  | { kind: 'request'; instance: number; class: string; amount: number }
  /**
   * A client asks an instance for an event on the `pick`th certificate the instance knows of the
   * class (closed or not: the log decides), taking `share` of its shares (all of them or more, too).
   */
  | { kind: 'event'; instance: number; class: string; type: EventType; pick: number; share: number }
  /** One of the appends in flight (any writer's) ends, in any order, meeting `fate`. */
  | { kind: 'land'; pick: number; fate: AppendFate }
  /** A write its writer gave up on lands now. */
  | { kind: 'deliver-late'; pick: number }
  /** Another writer (a split brain, or a stale one that read the log long ago) appends one certificate. */
  | { kind: 'foreign'; class: string; amount: number; stale: boolean }
  /** The instance's role changed: it must read the log before writing again. */
  | { kind: 'forget'; instance: number }
  /** A lookup missed on the instance: it reads the log to its end. */
  | { kind: 'sync'; instance: number }
  /**
   * A tail (the instance followed for a while) brings what landed into its state, beside its writer:
   * only while its actors are idle, as src/cluster/node.ts runs a tail (a demoted writer's starts once
   * its actors have answered what they took).
   */
  | { kind: 'tail'; instance: number }
  /** The log has taken longer than the ack timeout: every batch in flight is answered log_unavailable. */
  | { kind: 'ack-timeout' }
  /** Reads fail (the broker is unreachable) during this step and the next `steps - 1`. */
  | { kind: 'outage'; steps: number };

const shareClass = fc.constantFrom('CS', 'PS');
const amount = fc.integer({ min: 1, max: 20 });
const instance = fc.nat(2);
const EVENTS = ['transfer', 'cancellation', 'repurchase', 'reissuance', 'stop'] as const;
type EventType = (typeof EVENTS)[number];
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('request' as const), instance, class: shareClass, amount }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      instance,
      class: shareClass,
      type: fc.constantFrom(...EVENTS),
      pick: fc.nat(),
      share: fc.double({ min: 0.1, max: 1.1, noNaN: true }),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('land' as const),
      pick: fc.nat(),
      fate: fc.constantFrom<AppendFate>('ok', 'ok', 'ok', 'lost-ack', 'not-landed', 'late'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deliver-late' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('foreign' as const), class: shareClass, amount, stale: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forget' as const), instance }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sync' as const), instance }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tail' as const), instance }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'ack-timeout' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('outage' as const), steps: fc.integer({ min: 1, max: 4 }) }) },
);
interface Schedule {
  readonly writers: number;
  /** Small batches too, so that requests of one class span several batches and writes. */
  readonly maxBatch: number;
  /** Certificates written before scale-out, stating no offset: judged by continuation. */
  readonly legacy: number;
  /** Every writer signs its writes (src/core/seal.ts), the foreign one too; else none does. */
  readonly signed: boolean;
  /** Each step, then how many turns of the event loop the instances get before the next one (0: same turn). */
  readonly steps: ReadonlyArray<[Step, number]>;
}
const schedule: fc.Arbitrary<Schedule> = fc.record({
  writers: fc.integer({ min: 2, max: 3 }),
  maxBatch: fc.integer({ min: 1, max: 8 }),
  legacy: fc.nat(3),
  signed: fc.boolean(),
  steps: fc.array(fc.tuple(step, fc.nat(3)), { minLength: 1, maxLength: 80, size: 'max' }),
});

const certificatesOf = (state: LogState, shareClass: string): Certificate[] => {
  const index = state.index(shareClass)!;
  return Array.from({ length: index.count }, (_, at) => index.get(at + 1)!);
};

type Answer = { readonly certificate: Certificate } | { readonly error: unknown };
type EventAnswer = { readonly done: EventDone } | { readonly error: unknown };

/** The codes an event is refused with when the log would void it: each its own. */
const EVENT_REFUSALS = new Set(['unknown_certificate', 'certificate_not_outstanding', 'certificate_stopped', 'shares_not_conserved']);

/** The request of an event step, on what the instance knows of the class; undefined while it knows no certificate. */
function eventRequest(state: LogState, step: Extract<Step, { kind: 'event' }>, requestId: string): EventRequest | undefined {
  const count = state.index(step.class)!.count;
  if (count === 0) return undefined;
  const target = state.certificate(step.class, (step.pick % count) + 1)!;
  const quantity = Math.max(1, Math.round(target.amount * step.share));
  const asked = { event: step.type, class: step.class, certificate: target.id, principal: 'key:test', requestId };
  if (step.type === 'transfer') return { ...asked, transferees: [{ name: `Buyer of ${requestId}`, amount: quantity }] };
  if (step.type === 'cancellation' || step.type === 'repurchase') return { ...asked, quantity };
  return { ...asked, reason: 'reported lost' };
}

/** What the runs exercised, so that the property cannot pass on schedules that never hit a fault. */
const seen = {
  runs: 0,
  events: 0,
  eventsDone: 0,
  eventsRefused: 0,
  requests: 0,
  acknowledged: 0,
  refused: 0,
  unavailable: 0,
  renumbered: 0,
  voids: 0,
  recognised: 0,
  foreignValid: 0,
};

/** A writer that is not one of the instances: it numbers on its own view of the log, read when it is not stale. */
function foreignWriter(ledger: FakeLedger, signing: SigningKeys | undefined) {
  const view = new LogState(CLASSES, DEFAULTS.keyWindow, undefined, signing);
  let writes = 0;
  return (shareClass: string, amount: number, stale: boolean): void => {
    if (!stale) {
      view.apply(ledger.entries(view.end));
      view.readTo(ledger.entries().length);
    }
    const { count, sharesIssued } = view.index(shareClass)!;
    if (view.outstandingOf(shareClass) + amount > AUTHORIZED.get(shareClass)!) return;
    writes += 1;
    const fields = { offset: view.end, amount, sharesIssued: sharesIssued + amount, request: `foreign-${writes}` };
    const record = foreignRecord(shareClass, count + 1, signing === undefined ? fields : { ...fields, seal: view.end + 1 });
    const [encoded] = encodeRecords([record]);
    if (signing === undefined) ledger.injectEncoded([encoded!]);
    else {
      const seal = signing.sign(view.headOf([record], [encoded!.value], new Date()));
      ledger.injectEncoded([encoded!, { key: SEAL_KEY, value: encodeSeal(seal) }]);
    }
  };
}

/** The requests a write's records answer: a write that landed unanswered must still settle them. */
const requestsOf = (write: readonly EncodedRecord[]): string[] =>
  write.flatMap(({ key, value }) => {
    const entry = readRecord(0, key, value);
    return (entry.record ?? entry.event)?.request ?? [];
  });

async function run({ writers, maxBatch, legacy, signed, steps }: Schedule): Promise<void> {
  const signing = signed ? SIGNING : undefined;
  const ledger = new FakeLedger();
  ledger.inject(Array.from({ length: legacy }, (_, index) => foreignRecord('CS', index + 1)));
  ledger.hold();
  let renumbered = 0;
  const options = {
    maxBatch,
    ackTimeoutMs: ACK_TIMEOUT_MS,
    observer: { batchCommitted: () => undefined, commitFailed: () => undefined, renumbered: () => (renumbered += 1) },
  };
  const instances: FakeInstance[] = [];
  for (let index = 0; index < writers; index += 1) instances.push(await fakeInstance(ledger, CLASSES, options, signing));
  const foreign = foreignWriter(ledger, signing);
  /** Requests of appends that landed without answering their offset: where a record is valid, its request must still get it. */
  const unacknowledged = new Set<string>();
  const asked: Array<{ class: string; name: string; amount: number }> = [];
  const answers: Array<Answer | undefined> = [];
  const events: Array<{ readonly request: EventRequest; answer?: EventAnswer }> = [];
  const work: Array<Promise<unknown>> = [];
  let done = 0;
  let outage = 0;
  const track = (promise: Promise<unknown>): void => void work.push(promise.finally(() => (done += 1)));

  for (const [action, turns] of steps) {
    const target = 'instance' in action ? instances[action.instance % writers]! : undefined;
    switch (action.kind) {
      case 'request': {
        const index = asked.push({ class: action.class, name: `Request ${asked.length}`, amount: action.amount }) - 1;
        track(
          target!.sequencers.issue(asking(asked[index]!)).then(
            ({ certificate }) => (answers[index] = { certificate }),
            (error: unknown) => (answers[index] = { error }),
          ),
        );
        break;
      }
      case 'event': {
        const request = eventRequest(target!.state, action, `event-${events.length}`);
        if (request === undefined) break;
        const asked: (typeof events)[number] = { request };
        events.push(asked);
        track(
          target!.sequencers.act(request).then(
            (done) => (asked.answer = { done }),
            (error: unknown) => (asked.answer = { error }),
          ),
        );
        break;
      }
      case 'land': {
        const held = ledger.heldAppends;
        if (held.length === 0) break;
        const pick = action.pick % held.length;
        if (action.fate === 'lost-ack') for (const request of requestsOf(held[pick]!)) unacknowledged.add(request);
        ledger.complete(pick, action.fate);
        break;
      }
      case 'deliver-late': {
        const late = ledger.lateAppends;
        if (late.length === 0) break;
        const pick = action.pick % late.length;
        for (const request of requestsOf(late[pick]!)) unacknowledged.add(request);
        ledger.deliverLate(pick);
        break;
      }
      case 'foreign':
        foreign(action.class, action.amount, action.stale);
        break;
      case 'forget':
        target!.writer.forget();
        break;
      case 'sync':
        track(target!.writer.sync().catch(() => undefined));
        break;
      case 'tail':
        if (target!.sequencers.idle) target!.state.apply(ledger.entries(target!.state.end));
        break;
      case 'ack-timeout':
        vi.advanceTimersByTime(ACK_TIMEOUT_MS);
        break;
      case 'outage':
        outage = action.steps;
        break;
    }
    ledger.failReads = outage > 0;
    outage = Math.max(0, outage - 1);
    for (let turn = 0; turn < turns; turn += 1) await nextTurn();
  }

  // Quiescence: the log comes back and answers every append, one per turn, until all work is done.
  const quiesce = async (): Promise<void> => {
    for (let turn = 0; done < work.length || ledger.heldAppends.length > 0; turn += 1) {
      if (turn === MAX_QUIESCENCE_TURNS) throw new Error(`${work.length - done} requests or syncs unanswered after ${turn} turns`);
      if (ledger.heldAppends.length > 0) ledger.complete();
      await nextTurn();
    }
  };
  ledger.failReads = false;
  await quiesce();
  // A batch answered on its ack timeout may still be writing: a sync queued behind it resolves once it is done.
  for (const { writer } of instances) track(writer.sync());
  await quiesce();
  // Writes still in the network land after everything was answered.
  while (ledger.deliverLate());

  const reader = new LogState(
    CLASSES,
    DEFAULTS.keyWindow,
    { voidRecord: (reason, offset, message) => expect(reason, message).toBe('misplaced') },
    signing,
  );
  const applied = reader.apply(ledger.entries()).flatMap((entry) => (entry.record === undefined ? [] : [entry]));
  const valid = applied.map(({ record }) => record);
  // Signed, every certificate after the legacy ones carries a proof that checks alone against its signed head.
  if (signed) for (const { record, proof } of applied.slice(legacy)) expect(proof && checkProof(record, proof, SIGNING)).toBe('ok');

  // The valid certificates of each class are numbered exactly 1..N, their totals the sum of their amounts; the shares
  // outstanding are those of the certificates no event closed (a stopped one still counts), within the authorized.
  for (const { code, authorized } of CLASSES) {
    const ofClass = valid.filter((record) => record.class === code);
    expect(ofClass.map((record) => record.number)).toEqual(ofClass.map((_, index) => index + 1));
    expect(reader.index(code)!.sharesIssued).toBe(ofClass.reduce((sum, record) => sum + record.amount, 0));
    const open = ofClass.filter((record) => (reader.closure(record.id)?.status ?? 'stopped') === 'stopped');
    expect(reader.outstandingOf(code)).toBe(open.reduce((sum, record) => sum + record.amount, 0));
    expect(reader.outstandingOf(code)).toBeLessThanOrEqual(authorized);
  }
  // Per certificate, the valid events on it: at most a stop, then at most one event that closes it (after a stop, only a
  // reissuance); nothing acts on it once closed. Each event's results are the certificates that follow it, naming it.
  const byCertificate = new Map<string, LoggedEvent[]>();
  for (const event of reader.allEvents()) {
    const on = byCertificate.get(event.record.certificate!) ?? [];
    byCertificate.set(event.record.certificate!, [...on, event]);
    const results = valid.filter((record) => record.origin === event.offset).map((record) => record.id);
    expect(results, `the results of the event at ${event.offset}`).toEqual(event.record.results ?? []);
  }
  for (const [id, on] of byCertificate) {
    const types = on.map(({ record }) => record.event).join(' ');
    expect(types, `the events on ${id}`).toMatch(/^(stop|stop reissuance|transfer|cancellation|repurchase|reissuance)$/);
  }
  // A request is valid once: an issuance's certificate, or an event (its results carry its request id).
  const requestIds = [
    ...valid.flatMap((record) => (record.request === undefined || record.origin !== undefined ? [] : [record.request])),
    ...reader.allEvents().map(({ record }) => record.request!),
  ];
  expect(new Set(requestIds).size, 'a request id is valid twice').toBe(requestIds.length);

  const acknowledgedIds = new Set<string>();
  asked.forEach((request, index) => {
    const answer = answers[index];
    const issued = valid.filter((record) => record.name === request.name && record.origin === undefined);
    expect(answer, `${request.name} was never answered`).toBeDefined();
    if (answer !== undefined && 'certificate' in answer) {
      const { certificate } = answer;
      expect(acknowledgedIds.has(certificate.id), `${certificate.id} acknowledged twice`).toBe(false);
      acknowledgedIds.add(certificate.id);
      expect(certificate).toMatchObject(request);
      expect(issued).toHaveLength(1);
      expect(reader.index(certificate.class)!.get(certificate.number)).toEqual(certificate);
      seen.acknowledged += 1;
      if (unacknowledged.has(issued[0]!.request!)) seen.recognised += 1;
      return;
    }
    const error = answer?.error;
    expect(error).toBeInstanceOf(CertificateError);
    const { code, details } = error as CertificateError;
    if (code === 'log_unavailable') {
      // The outcome was unknown when answered: a write of it may have landed valid, but only one.
      expect(issued.length).toBeLessThanOrEqual(1);
      seen.unavailable += 1;
      return;
    }
    expect(code).toBe('insufficient_shares');
    expect(issued, `${request.name} was refused yet issued`).toHaveLength(0);
    // Judged on real numbers: what remained then was too little, and at least what remains now (itself at least 0).
    const { requested, remaining } = details as { requested: number; remaining: number };
    expect(requested).toBe(request.amount);
    expect(remaining).toBeLessThan(requested);
    expect(remaining).toBeGreaterThanOrEqual(AUTHORIZED.get(request.class)! - reader.index(request.class)!.sharesIssued);
    seen.refused += 1;
  });

  // Every acknowledged event is valid in the log as answered, with its results; a refused one is not there, and an
  // unanswered one (log_unavailable) at most once.
  for (const { request, answer } of events) {
    const logged = reader.allEvents().filter(({ record }) => record.requestId === request.requestId);
    expect(answer, `${request.requestId} was never answered`).toBeDefined();
    if (answer !== undefined && 'done' in answer) {
      expect(logged).toEqual([answer.done.event]);
      expect(reader.eventAtOffset(answer.done.event.offset)).toEqual(answer.done.event);
      for (const result of answer.done.results) expect(reader.index(result.class)!.get(result.number)).toEqual(result);
      seen.eventsDone += 1;
      continue;
    }
    const { code } = answer?.error as CertificateError;
    if (code === 'log_unavailable') {
      expect(logged.length).toBeLessThanOrEqual(1);
      continue;
    }
    expect(EVENT_REFUSALS, `${request.requestId} refused with ${code}`).toContain(code);
    expect(logged, `${request.requestId} was refused yet written`).toEqual([]);
    seen.eventsRefused += 1;
  }

  // Every instance, once it has read the log to its end, reaches the fresh reader's verdicts.
  for (const { writer, state } of instances) {
    await writer.sync();
    expect([state.end, state.voidRecords]).toEqual([reader.end, reader.voidRecords]);
    for (const { code } of CLASSES) expect(certificatesOf(state, code)).toEqual(certificatesOf(reader, code));
    expect(state.allEvents()).toEqual(reader.allEvents());
  }

  seen.runs += 1;
  seen.requests += asked.length;
  seen.events += events.length;
  seen.renumbered += renumbered;
  seen.voids += reader.voidRecords;
  seen.foreignValid += valid.filter((record) => record.request?.startsWith('foreign-')).length;
}

/**
 * TigerBeetle-style: two or three writers share one log (as if the election failed completely),
 * beside another writer that numbers on a view of the log it may not have refreshed. Requests reach
 * random instances; appends end in any order, each acknowledged, with its acknowledgement lost, not
 * landed, or landing late at a moment the schedule picks; batches outlive their ack timeout;
 * instances forget their position or read ahead; reads fail for a while. An instance is behind whenever another one wrote since its last
 * read. Each schedule runs until every request is answered, and the invariants are checked against
 * a fresh reader of the whole log.
 */
describe('fault simulator: several writers, lost acknowledgements, lost and late writes, any interleaving', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => void vi.useRealTimers());

  it('keeps one gap-free numbering, acknowledges only valid certificates, each once, refuses only rightly, and answers every request', async () => {
    const seed = process.env.SIM_SEED === undefined ? {} : { seed: Number(process.env.SIM_SEED) };
    await fc.assert(fc.asyncProperty(schedule, run), { numRuns: Number(process.env.SIM_RUNS ?? 200), ...seed });
    console.log(`[simulator] ${JSON.stringify(seen)}`);
    expect(seen.renumbered).toBeGreaterThan(0);
    expect(seen.voids).toBeGreaterThan(0);
    expect(seen.recognised).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
    expect(seen.unavailable).toBeGreaterThan(0);
    expect(seen.foreignValid).toBeGreaterThan(0);
    expect(seen.eventsDone).toBeGreaterThan(0);
    expect(seen.eventsRefused).toBeGreaterThan(0);
  });
});
