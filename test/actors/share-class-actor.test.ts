import { describe, expect, it } from 'vitest';
import type { IssueRequest } from '../../src/core/certificate.js';
import type { ActorObserver } from '../../src/actors/observer.js';
import { ACTOR_LIMITS, type ActorOptions } from '../../src/actors/share-class-actor.js';
import { CertificateError } from '../../src/core/errors.js';
import { FakeLedger, fakeInstance, foreignRecord, nextTurn } from '../support/fake-ledger.js';
import { asking, TEST_PRINCIPAL } from '../support/requests.js';

const NOW = () => new Date('2026-01-02T03:04:05.000Z');
const ask = (amount: number, name = 'Ada', shareClass = 'CS') => asking({ class: shareClass, name, amount });

/**
 * One instance on the ledger with class CS (and PS, 50 shares), reporting to `events` what its actors
 * tell; its batches are taken at once (company 1) unless `options` say otherwise, so that the tests
 * below can say which requests share a batch.
 */
function instance(ledger: FakeLedger, authorized = 1000, options: Partial<ActorOptions> = {}) {
  const events: string[] = [];
  const observer: ActorObserver = {
    batchCommitted: (shareClass, certificates) => events.push(`${shareClass} committed ${certificates}`),
    commitFailed: (shareClass) => events.push(`${shareClass} commit failed`),
    renumbered: (shareClass, requests) => events.push(`${shareClass} renumbered ${requests}`),
  };
  const classes = [
    { code: 'CS', authorized },
    { code: 'PS', authorized: 50 },
  ];
  return fakeInstance(ledger, classes, { now: NOW, observer, company: 1, ...options }).then((parts) => ({
    ...parts,
    events,
    /** The certificate a request is answered with. */
    issue: (request: IssueRequest) => parts.sequencers.issue(request).then(({ certificate }) => certificate),
  }));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(CertificateError);
    return (error as CertificateError).code;
  }
}

/** What the log holds, as `id@offset-it-sits-at/offset-stated`. */
const layout = (ledger: FakeLedger) => ledger.records.map((record, offset) => `${record.id}@${offset}/${record.offset}`);

// A request left unanswered is a bug to report at once, not after the suite's timeout for broker tests.
const UNIT = { timeout: 5_000 };

describe('ShareClassActor (pure sequencing logic, in-memory log)', UNIT, () => {
  it('judges a refusal on the whole log: a writer that took over reads what the last one wrote before it refuses or replays', async () => {
    const ledger = new FakeLedger();
    const last = await instance(ledger);
    const next = await instance(ledger);
    const held = await last.issue(ask(40, 'Ada', 'PS'));
    // The next one has read the log this far, as a follower tails it.
    await next.writer.sync();
    const cancellation = { event: 'cancellation', class: 'PS', certificate: held.id, principal: TEST_PRINCIPAL } as const;
    await last.sequencers.act({ ...cancellation, requestId: 'cancel-1' });
    const keyed = { ...ask(30, 'Bob', 'PS'), idempotencyKey: 'k-landed' };
    const landed = await last.issue(keyed);
    // `last` dies before answering; `next` takes over (src/cluster/node.ts forgets the log's end) and gets the retry.
    next.writer.forget();
    const retried = await next.sequencers.issue({ ...keyed, requestId: 'retry-1' });
    expect([retried.certificate.id, retried.replayed]).toEqual([landed.id, true]);
    // Nor does it refuse what the unread cancellation made room for.
    expect((await next.issue(ask(20, 'Cy', 'PS'))).id).toBe('PS-3');
  });

  it('answers a refusal that rested on an earlier request of its batch only once that request is decided', async () => {
    const ledger = new FakeLedger();
    const { issue, sequencers } = await instance(ledger);
    const target = await issue(ask(10));
    ledger.hold();
    const before = issue(ask(1));
    await ledger.waitForHeld();
    const on = (event: 'transfer' | 'cancellation', requestId: string) =>
      sequencers.act({
        event,
        class: 'CS',
        certificate: target.id,
        ...(event === 'transfer' ? { transferees: [{ name: 'Buyer', amount: 10 }] } : {}),
        principal: TEST_PRINCIPAL,
        requestId,
      });
    // Both wait behind the write in flight and are numbered in one batch: the transfer first.
    const transfer = codeOf(on('transfer', 'race-1'));
    const cancellation = codeOf(on('cancellation', 'race-2'));
    ledger.complete(0);
    await before;
    await ledger.waitForHeld();
    // The transfer's write fails and the log cannot be read: whether it landed is unknown, and so is the cancellation's fate.
    ledger.failReads = true;
    ledger.complete(0, 'not-landed');
    expect([await transfer, await cancellation]).toEqual(['log_unavailable', 'log_unavailable']);
  });

  it('numbers from 1, keeps a running total, and states in each record the offset it expects and the request it answers', async () => {
    const ledger = new FakeLedger();
    const { issue, events } = await instance(ledger);
    const first = await issue(ask(10));
    const second = await issue(ask(5));
    expect(first).toEqual({
      id: 'CS-1',
      class: 'CS',
      number: 1,
      name: 'Ada',
      amount: 10,
      issuedAt: '2026-01-02T03:04:05.000Z',
      sharesIssued: 10,
    });
    expect([second.id, second.sharesIssued]).toEqual(['CS-2', 15]);
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-2@1/1']);
    expect(new Set(ledger.records.map((record) => record.request)).size).toBe(2);
    expect(events).toEqual(['CS committed 1', 'CS committed 1']);
  });

  it('numbers concurrent requests contiguously: those arriving during a commit form the next batch, and classes share each write', async () => {
    const ledger = new FakeLedger();
    const { issue } = await instance(ledger);
    ledger.hold();
    const first = issue(ask(1));
    const rest = Array.from({ length: 50 }, (_, index) => issue(ask(1, 'Ada', index % 5 === 0 ? 'PS' : 'CS')));
    ledger.release();
    const answers = await Promise.all([first, ...rest]);
    const numbersOf = (shareClass: string) => answers.filter((answer) => answer.class === shareClass).map((answer) => answer.number);
    expect(numbersOf('CS')).toEqual(Array.from({ length: 41 }, (_, index) => index + 1));
    expect(numbersOf('PS')).toEqual(Array.from({ length: 10 }, (_, index) => index + 1));
    // CS-1 alone and PS-1 (its class was idle) in the first write; everything that queued behind them in the second.
    expect(ledger.appends).toEqual([2, 49]);
  });

  it('lets a small batch wait a few turns of the event loop for company, and no longer: requests arriving meanwhile share its write', async () => {
    const ledger = new FakeLedger();
    const { issue } = await instance(ledger, 1000, { company: ACTOR_LIMITS.company });
    const first = issue(ask(1));
    // Arrives two turns later, within the wait: the same batch.
    await nextTurn();
    await nextTurn();
    const second = issue(ask(1));
    await Promise.all([first, second]);
    expect(ledger.appends).toEqual([2]);
    // A lone request is taken after the last turn of the wait, and one arriving later waits for the next batch.
    const lone = issue(ask(1));
    for (let turn = 0; turn <= ACTOR_LIMITS.companyTurns; turn += 1) await nextTurn();
    const late = issue(ask(1));
    await Promise.all([lone, late]);
    expect(ledger.appends).toEqual([2, 1, 1]);
    // A batch with enough company waits no longer: what arrives while its write is out makes the next.
    ledger.hold();
    const crowd = Array.from({ length: ACTOR_LIMITS.company }, () => issue(ask(1)));
    await ledger.waitForHeld();
    const after = issue(ask(1));
    ledger.release();
    await Promise.all([...crowd, after]);
    expect(ledger.appends).toEqual([2, 1, 1, ACTOR_LIMITS.company, 1]);
  });

  it('refuses a request larger than what remains, consuming no number nor holding back smaller ones, once the accepted ones hold', async () => {
    const ledger = new FakeLedger();
    const { issue } = await instance(ledger, 100);
    ledger.hold();
    const blocker = issue(ask(90));
    const tooBig = issue(ask(20));
    let refused = false;
    tooBig.catch(() => (refused = true));
    const fits = issue(ask(10));
    await ledger.waitForHeld();
    ledger.complete();
    expect((await blocker).id).toBe('CS-1');
    await ledger.waitForHeld();
    expect(refused).toBe(false);
    ledger.complete();
    await expect(tooBig).rejects.toMatchObject({ code: 'insufficient_shares', details: { class: 'CS', requested: 20, remaining: 0 } });
    expect(await fits).toMatchObject({ id: 'CS-2', sharesIssued: 100 });
    ledger.release();
    await expect(issue(ask(1))).rejects.toMatchObject({ code: 'insufficient_shares', details: { remaining: 0 } });
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-2@1/1']);
  });

  it('judges refusals on the numbers that held: after renumbering, a request the other writer left no room for is refused', async () => {
    const ledger = new FakeLedger();
    const { issue, events } = await instance(ledger, 20);
    ledger.hold();
    const blocker = issue(ask(3));
    const big = issue(ask(10, 'Big'));
    const small = issue(ask(5, 'Small'));
    await ledger.waitForHeld();
    ledger.complete();
    expect(await blocker).toMatchObject({ id: 'CS-1', sharesIssued: 3 });
    // Numbered CS-2 (13 shares) and CS-3 (18); another writer's CS-2 takes 8 shares first.
    await ledger.waitForHeld();
    ledger.inject([foreignRecord('CS', 2, { offset: 1, amount: 8, sharesIssued: 11 })]);
    ledger.release();
    await expect(big).rejects.toMatchObject({ code: 'insufficient_shares', details: { requested: 10, remaining: 4 } });
    expect(await small).toMatchObject({ id: 'CS-3', name: 'Small', sharesIssued: 16 });
    expect(events.filter((event) => event.includes('renumbered'))).toEqual(['CS renumbered 1']);
  });

  it('numbers again, without the client noticing, requests whose write lost the race to another writer', async () => {
    const ledger = new FakeLedger();
    const { issue, state, events } = await instance(ledger);
    expect((await issue(ask(1))).id).toBe('CS-1');
    ledger.hold();
    const answer = issue(ask(1, 'Bea'));
    // Numbered CS-2 for offset 1; meanwhile another writer issues CS-2 and CS-3 there.
    await ledger.waitForHeld();
    ledger.inject([foreignRecord('CS', 2, { offset: 1 }), foreignRecord('CS', 3, { offset: 2 })]);
    ledger.release();
    expect(await answer).toMatchObject({ id: 'CS-4', name: 'Bea', sharesIssued: 4 });
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-2@1/1', 'CS-3@2/2', 'CS-2@3/1', 'CS-4@4/4']);
    expect([state.voidRecords, events.at(-2), events.at(-1)]).toEqual([1, 'CS renumbered 1', 'CS committed 1']);
  });

  it('numbers again, before writing, requests numbered on what the log held before the writer read it again', async () => {
    const ledger = new FakeLedger();
    const { issue, writer, state } = await instance(ledger);
    expect((await issue(ask(1))).id).toBe('CS-1');
    // As after a role change: the writer must read the log before its next write, and meanwhile CS-2 was issued elsewhere.
    writer.forget();
    ledger.inject([foreignRecord('CS', 2, { offset: 1 })]);
    expect(await issue(ask(1, 'Eve'))).toMatchObject({ id: 'CS-3', name: 'Eve' });
    // Nothing was written on the stale numbering.
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-2@1/1', 'CS-3@2/2']);
    expect(state.voidRecords).toBe(0);
  });

  it('numbers again requests that a tail overtook between numbering and writing (a writer demoted mid-batch)', async () => {
    const ledger = new FakeLedger();
    const { issue, writer, state } = await instance(ledger);
    await writer.sync();
    const answer = issue(ask(1, 'Fay'));
    // The request is numbered CS-1 by now; before its write goes out, a tail brings another writer's CS-1.
    const foreign = foreignRecord('CS', 1, { offset: 0 });
    ledger.inject([foreign]);
    state.apply([{ offset: 0, record: foreign }]);
    expect(await answer).toMatchObject({ id: 'CS-2', name: 'Fay' });
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-2@1/1']);
    expect(state.voidRecords).toBe(0);
  });

  it('answers a request whose write landed but whose acknowledgement was lost with the certificate that landed, issued once', async () => {
    const ledger = new FakeLedger();
    const { issue, state } = await instance(ledger);
    ledger.failNext('lost-ack');
    expect(await issue(ask(3))).toMatchObject({ id: 'CS-1', sharesIssued: 3 });
    expect((await issue(ask(4))).id).toBe('CS-2');
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-2@1/1']);
    expect(state.voidRecords).toBe(0);
  });

  it('numbers again a request whose write failed without landing, and it gets the number that write was given', async () => {
    const ledger = new FakeLedger();
    const { issue, events } = await instance(ledger);
    ledger.failNext('not-landed');
    expect(await issue(ask(3, 'Cy'))).toMatchObject({ id: 'CS-1', name: 'Cy' });
    expect(layout(ledger)).toEqual(['CS-1@0/0']);
    expect(ledger.appends).toEqual([1, 1]);
    expect(events).toEqual(['CS renumbered 1', 'CS committed 1']);
  });

  it('numbers again a request whose write was given up on, and voids that write when it lands late', async () => {
    const ledger = new FakeLedger();
    const { issue, state } = await instance(ledger);
    ledger.failNext('late');
    expect(await issue(ask(3, 'Cy'))).toMatchObject({ id: 'CS-1', name: 'Cy' });
    expect(ledger.deliverLate()).toBe(true);
    // The writer cannot know of the late landing until its next write lands past its stated offset.
    expect((await issue(ask(4))).id).toBe('CS-2');
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-1@1/0', 'CS-2@2/1', 'CS-2@3/3']);
    expect(state.voidRecords).toBe(2);
  });

  it('says why the log refused when the write of every attempt failed outright, not that other writers took the numbers', async () => {
    const ledger = new FakeLedger();
    const { issue } = await instance(ledger, 1000, { maxAttempts: 3 });
    for (let attempt = 0; attempt < 3; attempt += 1) ledger.failNext('not-landed');
    await expect(issue(ask(1))).rejects.toMatchObject({
      code: 'log_unavailable',
      message: expect.stringContaining('writing 1 CS certificates, 3 attempts: broker refused the write'),
    });
    expect(ledger.records).toEqual([]);
    expect(await issue(ask(1))).toMatchObject({ id: 'CS-1' });
  });

  it('answers log_unavailable after losing the race maxAttempts times in a row, having issued nothing for it', async () => {
    const ledger = new FakeLedger();
    const { issue, events } = await instance(ledger, 1000, { maxAttempts: 3 });
    await issue(ask(1));
    ledger.hold();
    const answer = codeOf(issue(ask(1, 'Dee')));
    // Before each of its writes lands, another writer takes the next number.
    for (let number = 2; number <= 4; number += 1) {
      await ledger.waitForHeld();
      ledger.inject([foreignRecord('CS', number, { offset: ledger.records.length })]);
      ledger.complete();
    }
    expect(await answer).toBe('log_unavailable');
    expect(ledger.appends).toEqual([1, 1, 1, 1]);
    expect(events.filter((event) => event.includes('renumbered'))).toEqual(['CS renumbered 1', 'CS renumbered 1']);
    ledger.release();
    expect(await issue(ask(1))).toMatchObject({ id: 'CS-5' });
    expect(ledger.records.filter((record) => record.name === 'Dee')).toHaveLength(3);
  });

  it('answers log_unavailable while the log can be neither written nor read, and serves again once it can', async () => {
    const ledger = new FakeLedger();
    const { issue, sequencers, writer, events } = await instance(ledger);
    await writer.sync();
    ledger.failNext('not-landed');
    ledger.failReads = true;
    expect(await codeOf(issue(ask(1)))).toBe('log_unavailable');
    expect(events).toEqual(['CS commit failed']);
    ledger.failReads = false;
    expect((await issue(ask(1))).id).toBe('CS-1');
    expect(sequencers.snapshots()[0]).toMatchObject({ ready: true, certificates: 1, nextId: 'CS-2', remaining: 999 });
  });

  it('answers log_unavailable on time when the log hangs, refuses new requests at once, and numbers on from what landed', async () => {
    const ledger = new FakeLedger();
    const { issue } = await instance(ledger, 1000, { ackTimeoutMs: 50 });
    ledger.hold();
    const hung = issue(ask(1));
    await ledger.waitForHeld();
    const queued = issue(ask(1));
    await expect(hung).rejects.toMatchObject({ code: 'log_unavailable' });
    await expect(queued).rejects.toMatchObject({ code: 'log_unavailable' });
    await expect(issue(ask(1))).rejects.toMatchObject({ code: 'log_unavailable' });
    // The hung write lands after all: its number is taken, and the queued request never got one.
    ledger.release();
    await nextTurn();
    expect((await issue(ask(1))).id).toBe('CS-2');
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-2@1/1']);
  });

  it('answers every request already taken before close resolves, and refuses new ones', async () => {
    const ledger = new FakeLedger();
    const { issue, sequencers } = await instance(ledger);
    ledger.hold();
    const taken = [issue(ask(1)), issue(ask(1)), issue(ask(1, 'Pia', 'PS'))];
    const closed = sequencers.closeAll();
    await expect(issue(ask(1))).rejects.toMatchObject({ code: 'shutting_down' });
    ledger.release();
    await closed;
    expect((await Promise.all(taken)).map((certificate) => certificate.id)).toEqual(['CS-1', 'CS-2', 'PS-1']);
    await sequencers.closeAll();
  });

  it('refuses a class that is not configured', async () => {
    const { issue } = await instance(new FakeLedger());
    await expect(issue(ask(1, 'Ada', 'XS'))).rejects.toMatchObject({
      code: 'unknown_class',
      details: { classes: ['CS', 'PS'] },
    });
  });
});

describe('Sequencers.find (lookup by number in what this instance has read)', UNIT, () => {
  it('finds certificates the log held before start, those issued since, and those another writer wrote once it read them', async () => {
    const ledger = new FakeLedger();
    ledger.inject([1, 2, 3].map((number) => foreignRecord('CS', number, { offset: number - 1, amount: 10 })));
    const { issue, sequencers, writer } = await instance(ledger);
    const issued = await issue(ask(5));
    expect(sequencers.find('CS', 2)).toMatchObject({ id: 'CS-2', name: 'Holder 2', sharesIssued: 20 });
    expect(sequencers.find('CS', 4)).toEqual(issued);
    ledger.inject([foreignRecord('CS', 5, { sharesIssued: 36, offset: 4 })]);
    expect(sequencers.find('CS', 5)).toBeUndefined();
    await writer.sync();
    expect(sequencers.find('CS', 5)).toMatchObject({ id: 'CS-5', sharesIssued: 36 });
    expect([sequencers.find('CS', 6), sequencers.find('PS', 1), sequencers.find('XS', 1)]).toEqual([undefined, undefined, undefined]);
  });

  it('finds a certificate whose acknowledgement was lost as soon as its request is answered, and never a void record', async () => {
    const ledger = new FakeLedger();
    const { issue, sequencers, writer } = await instance(ledger);
    ledger.failNext('lost-ack');
    const landed = await issue(ask(2));
    ledger.failNext('late');
    const renumbered = await issue(ask(3, 'Lia'));
    ledger.deliverLate();
    await writer.sync();
    expect([sequencers.find('CS', 1), sequencers.find('CS', 2), sequencers.find('CS', 3)]).toEqual([landed, renumbered, undefined]);
  });
});
