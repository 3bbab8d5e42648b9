import { describe, expect, it } from 'vitest';
import type { IssueRequest } from '../../src/core/certificate.js';
import type { EventRequest } from '../../src/core/events.js';
import { DEFAULTS } from '../../src/config.js';
import { LogState } from '../../src/core/log-state.js';
import { scopedKey } from '../../src/core/provenance.js';
import type { CertificateError } from '../../src/core/errors.js';
import { FakeLedger, fakeInstance, foreignRecord } from '../support/fake-ledger.js';
import { asking, TEST_PRINCIPAL } from '../support/requests.js';

// Within a day of the fake log's own certificates (2026-01-01T00:00:0N), so their keys are remembered.
const NOW = () => new Date('2026-01-01T01:00:00.000Z');
const CLASSES = [
  { code: 'CS', authorized: 1000 },
  { code: 'PS', authorized: 50 },
];
const keyed = (key: string, amount = 10, name = 'Ada', shareClass = 'CS', principal = TEST_PRINCIPAL): IssueRequest =>
  asking({ class: shareClass, name, amount, idempotencyKey: key }, principal);
const start = (ledger: FakeLedger) => fakeInstance(ledger, CLASSES, { now: NOW });
/** The valid records of the log carrying `key`. */
const withKey = (ledger: FakeLedger, key: string) => {
  const state = new LogState(CLASSES, DEFAULTS.keyWindow);
  return state
    .apply(ledger.entries())
    .filter(({ record }) => record!.idempotencyKey === key)
    .map(({ record }) => record!.id);
};

describe('Idempotency-Key on the writer (pure sequencing logic, in-memory log)', { timeout: 5_000 }, () => {
  it('writes the key into the record and answers a later request with the key from the log, taking no number', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await start(ledger);
    const first = await sequencers.issue(keyed('k1'));
    const again = await sequencers.issue(keyed('k1'));
    expect(first).toMatchObject({ replayed: false, certificate: { id: 'CS-1' } });
    expect(again).toEqual({ certificate: first.certificate, replayed: true });
    expect(ledger.records.map((record) => [record.id, record.idempotencyKey])).toEqual([['CS-1', 'k1']]);
    expect((await sequencers.issue(keyed('k2'))).certificate.id).toBe('CS-2');
  });

  it('refuses the key with another class, name or amount (422 idempotency_key_reused) and issues nothing', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await start(ledger);
    await sequencers.issue(keyed('k1', 10, 'Ada', 'CS'));
    for (const other of [keyed('k1', 11), keyed('k1', 10, 'Bob'), keyed('k1', 10, 'Ada', 'PS')]) {
      await expect(sequencers.issue(other)).rejects.toMatchObject({
        code: 'idempotency_key_reused',
        details: { idempotencyKey: 'k1' },
      });
    }
    expect(ledger.records).toHaveLength(1);
  });

  it('says in a 422 that the key asked for something else first, never what: no name, amount or certificate of the first request', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await start(ledger);
    await sequencers.issue(keyed('k1', 432, 'Zelda Firstrequest'));
    ledger.hold();
    const inFlight = sequencers.issue(keyed('k2', 87, 'Yuri Inflight'));
    await ledger.waitForHeld();
    // One refused by the log's certificate, one by the request still in flight.
    const refused = (request: IssueRequest): Promise<CertificateError> =>
      sequencers.issue(request).then(
        () => expect.fail('expected idempotency_key_reused'),
        (error: unknown) => error as CertificateError,
      );
    const refusals = [await refused(keyed('k1', 1, 'Bob')), await refused(keyed('k2', 1, 'Bob'))];
    ledger.release();
    await inFlight;
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ code: 'idempotency_key_reused' });
      const told = JSON.stringify({ message: refusal.message, details: refusal.details });
      for (const secret of ['Zelda', '432', 'CS-1', 'Yuri', '87', 'CS-2']) expect(told).not.toContain(secret);
    }
  });

  it('scopes keys per principal: another principal with the same key gets its own certificate, in flight or from the log, and each retry replays its own', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await start(ledger);
    ledger.hold();
    const alice = sequencers.issue(keyed('shared', 10, 'Alice', 'CS', 'key:alice'));
    const bob = sequencers.issue(keyed('shared', 20, 'Bob', 'CS', 'key:bob'));
    await ledger.waitForHeld();
    ledger.release();
    const issued = await Promise.all([alice, bob]);
    expect(issued.map(({ certificate, replayed }) => [certificate.name, replayed])).toEqual([
      ['Alice', false],
      ['Bob', false],
    ]);
    // From the log now: a third principal is issued anew, the first two replay their own.
    const carol = await sequencers.issue(keyed('shared', 30, 'Carol', 'CS', 'key:carol'));
    const retries = await Promise.all([
      sequencers.issue(keyed('shared', 10, 'Alice', 'CS', 'key:alice')),
      sequencers.issue(keyed('shared', 20, 'Bob', 'CS', 'key:bob')),
    ]);
    expect([carol.certificate.id, carol.replayed]).toEqual(['CS-3', false]);
    expect(retries).toEqual([
      { certificate: issued[0]!.certificate, replayed: true },
      { certificate: issued[1]!.certificate, replayed: true },
    ]);
    expect(ledger.records.map((record) => [record.id, record.idempotencyKey, record.principal])).toEqual([
      ['CS-1', 'shared', 'key:alice'],
      ['CS-2', 'shared', 'key:bob'],
      ['CS-3', 'shared', 'key:carol'],
    ]);
  });

  it('keeps a key recorded before principals were (no principal) in its bare scope: no principal’s request replays or is refused by it', async () => {
    const ledger = new FakeLedger();
    ledger.inject([foreignRecord('CS', 1, { offset: 0, amount: 10, idempotencyKey: 'legacy' })]);
    const { sequencers, state } = await start(ledger);
    const issued = await sequencers.issue(keyed('legacy', 99, 'Someone Else'));
    expect([issued.certificate.id, issued.replayed]).toEqual(['CS-2', false]);
    expect(state.recall(scopedKey(undefined, 'legacy'), NOW().getTime())?.id).toBe('CS-1');
  });

  it('makes one certificate of 40 concurrent requests with one key; the others wait for it and replay it', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await start(ledger);
    ledger.hold();
    const answers = Array.from({ length: 40 }, () => sequencers.issue(keyed('same')));
    const reused = sequencers.issue(keyed('same', 99)).catch((error: unknown) => error);
    await ledger.waitForHeld();
    ledger.release();
    const issued = await Promise.all(answers);
    expect(await reused).toMatchObject({ code: 'idempotency_key_reused' });
    expect(new Set(issued.map(({ certificate }) => certificate.id))).toEqual(new Set(['CS-1']));
    expect(issued.filter(({ replayed }) => replayed)).toHaveLength(39);
    expect(ledger.records).toHaveLength(1);
  });

  it('answers with the certificate another writer issued for the key while the request waited, and writes nothing valid for it', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await start(ledger);
    // Another instance (the writer before a failover) issued the key; this one has not read it yet.
    ledger.inject([foreignRecord('CS', 1, { offset: 0, amount: 10, idempotencyKey: 'k1', principal: TEST_PRINCIPAL })]);
    const { certificate, replayed } = await sequencers.issue({ ...keyed('k1'), name: 'Holder 1' });
    expect([certificate.id, replayed]).toEqual(['CS-1', true]);
    expect(withKey(ledger, 'k1')).toEqual(['CS-1']);
    expect((await sequencers.issue(keyed('k2'))).certificate.id).toBe('CS-2');
  });

  it('answers a retry after a lost acknowledgement with the certificate that landed, as the first answer to the writer and as a replay to the retry', async () => {
    const ledger = new FakeLedger();
    const { sequencers, writer } = await start(ledger);
    await writer.sync();
    // The write lands, its answer is lost and the log cannot be read: the client hears 503.
    ledger.failNext('lost-ack');
    ledger.failReads = true;
    await expect(sequencers.issue(keyed('k1'))).rejects.toMatchObject({ code: 'log_unavailable' });
    ledger.failReads = false;
    const retry = await sequencers.issue(keyed('k1'));
    expect(retry).toMatchObject({ replayed: true, certificate: { id: 'CS-1' } });
    expect(withKey(ledger, 'k1')).toEqual(['CS-1']);
  });

  it('gives the waiting requests of a key the first one’s retryable error, then issues once on retry', async () => {
    const ledger = new FakeLedger();
    const { sequencers, writer } = await start(ledger);
    await writer.sync();
    ledger.hold();
    const first = sequencers.issue(keyed('k1'));
    const second = sequencers.issue(keyed('k1'));
    await ledger.waitForHeld();
    ledger.failNext('not-landed');
    ledger.failReads = true;
    ledger.release();
    await expect(first).rejects.toMatchObject({ code: 'log_unavailable' });
    await expect(second).rejects.toMatchObject({ code: 'log_unavailable' });
    ledger.failReads = false;
    expect(await sequencers.issue(keyed('k1'))).toMatchObject({ replayed: false, certificate: { id: 'CS-1' } });
    expect(ledger.records.map((record) => record.idempotencyKey)).toEqual(['k1']);
  });

  it('forgets a key older than the window: a request with it is issued as new', async () => {
    const ledger = new FakeLedger();
    ledger.inject([foreignRecord('CS', 1, { offset: 0, amount: 10, idempotencyKey: 'old' })]);
    const { sequencers } = await fakeInstance(ledger, CLASSES, { now: () => new Date('2026-01-03T00:00:00.000Z') });
    const again = await sequencers.issue({ ...keyed('old'), name: 'Holder 1' });
    expect([again.certificate.id, again.replayed]).toEqual(['CS-2', false]);
  });

  it('answers an event sent twice at once under one key with its one event, both times: the second copy waits for the first', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await start(ledger);
    const { certificate } = await sequencers.issue(keyed('k0', 10));
    const transfer = (key: string, certificate: string, event: EventRequest['event'] = 'transfer'): EventRequest => ({
      event,
      class: 'CS',
      certificate,
      ...(event === 'transfer' ? { transferees: [{ name: 'Buyer', amount: 4 }] } : {}),
      idempotencyKey: key,
      principal: TEST_PRINCIPAL,
      requestId: `twin-${key}-${event}`,
    });
    // Both copies wait in the mailbox behind a write in flight, so that they are numbered in one batch.
    ledger.hold();
    const inFlight = sequencers.issue(keyed('k-before', 1));
    await ledger.waitForHeld();
    const twice = [sequencers.act(transfer('e1', certificate.id)), sequencers.act(transfer('e1', certificate.id))];
    const other = expect(sequencers.act(transfer('e1', certificate.id, 'cancellation'))).rejects.toMatchObject({
      code: 'idempotency_key_reused',
    });
    ledger.release();
    await inFlight;
    const [first, second] = await Promise.all(twice);
    expect(first!.replayed).toBe(false);
    expect(second).toEqual({ ...first, replayed: true });
    await other;
    const events = ledger.entries().flatMap((entry) => (entry.event?.idempotencyKey === 'e1' ? [entry.event] : []));
    expect(events).toHaveLength(1);
  });

  it('leaves requests without a key as they were: the same body twice is two certificates', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await start(ledger);
    const ask = asking({ class: 'CS', name: 'Ada', amount: 1 });
    const [one, two] = [await sequencers.issue(ask), await sequencers.issue(ask)];
    expect([one.certificate.id, two.certificate.id, one.replayed, two.replayed]).toEqual(['CS-1', 'CS-2', false, false]);
    expect(ledger.records.every((record) => record.idempotencyKey === undefined)).toBe(true);
  });
});

describe('LogState.continuing with idempotency keys (what a correct writer may write)', () => {
  it('keeps out a record whose key the log answered, or that repeats a key earlier in the write, and what follows it in its class', () => {
    const state = new LogState(CLASSES, DEFAULTS.keyWindow);
    state.apply([{ offset: 0, record: foreignRecord('CS', 1, { offset: 0, idempotencyKey: 'done' }) }]);
    const next = (number: number, idempotencyKey?: string, shareClass = 'CS') =>
      foreignRecord(shareClass, number, { sharesIssued: number, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
    expect(state.continuing([next(2, 'done'), next(3)]).map((record) => record.id)).toEqual([]);
    expect(state.continuing([next(2, 'x'), next(3, 'x'), next(1, 'y', 'PS')]).map((record) => record.id)).toEqual(['CS-2', 'PS-1']);
    expect(state.continuing([next(2, 'fresh'), next(3)]).map((record) => record.id)).toEqual(['CS-2', 'CS-3']);
  });
});
