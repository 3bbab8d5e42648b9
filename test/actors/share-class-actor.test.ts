import { describe, expect, it } from 'vitest';
import { ShareClassActor } from '../../src/actors/share-class-actor.js';
import { CertificateError } from '../../src/errors.js';
import { FakeLedger } from '../support/fake-ledger.js';

function actor(ledger: FakeLedger, authorized = 1000): ShareClassActor {
  return new ShareClassActor({ code: 'CS', authorized }, ledger, { now: () => new Date('2026-01-02T03:04:05.000Z') });
}

const ask = (amount: number, name = 'Ada') => ({ class: 'CS', name, amount });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as CertificateError).code;
  }
}

describe('ShareClassActor (pure sequencing logic, in-memory ledger)', () => {
  it('numbers from 1 and keeps a running total of shares', async () => {
    const ledger = new FakeLedger();
    const cs = actor(ledger);
    await cs.recover();
    const first = await cs.issue(ask(10));
    const second = await cs.issue(ask(5));
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
  });

  it('gathers requests that arrive during a commit into one contiguous batch', async () => {
    const ledger = new FakeLedger();
    const cs = actor(ledger);
    await cs.recover();
    ledger.hold();
    const first = cs.issue(ask(1));
    const rest = Array.from({ length: 50 }, () => cs.issue(ask(1)));
    ledger.release();
    const ids = (await Promise.all([first, ...rest])).map((certificate) => certificate.number);
    expect(ids).toEqual(Array.from({ length: 51 }, (_, index) => index + 1));
    expect(ledger.appends).toEqual([1, 50]);
  });

  it('refuses a request larger than what remains without consuming a number or holding back smaller ones', async () => {
    const ledger = new FakeLedger();
    const cs = actor(ledger, 100);
    await cs.recover();
    ledger.hold();
    const blocker = cs.issue(ask(90));
    const tooBig = cs.issue(ask(20));
    const fits = cs.issue(ask(10));
    ledger.release();
    expect((await blocker).id).toBe('CS-1');
    await expect(tooBig).rejects.toMatchObject({ code: 'insufficient_shares', details: { requested: 20, remaining: 10 } });
    expect(await fits).toMatchObject({ id: 'CS-2', sharesIssued: 100 });
    await expect(cs.issue(ask(1))).rejects.toMatchObject({ code: 'insufficient_shares', details: { remaining: 0 } });
    expect(ledger.records.map((certificate) => certificate.id)).toEqual(['CS-1', 'CS-2']);
  });

  it('fails the whole batch with log_unavailable when a commit fails, and numbers on from what the log holds', async () => {
    const ledger = new FakeLedger();
    const cs = actor(ledger, 100);
    await cs.recover();
    await cs.issue(ask(1));
    ledger.hold();
    ledger.failNext = { landed: false };
    const lost = [cs.issue(ask(1)), cs.issue(ask(500))];
    ledger.release();
    expect(await Promise.all(lost.map(codeOf))).toEqual(['log_unavailable', 'log_unavailable']);
    expect((await cs.issue(ask(1))).id).toBe('CS-2');
  });

  it('re-reads the log after a commit whose acknowledgement was lost, so a landed write is not numbered twice', async () => {
    const ledger = new FakeLedger();
    const cs = actor(ledger);
    await cs.recover();
    ledger.failNext = { landed: true };
    await expect(cs.issue(ask(3))).rejects.toMatchObject({ code: 'log_unavailable', canRetry: true });
    expect((await cs.issue(ask(4))).id).toBe('CS-2');
    expect(ledger.records.map((certificate) => [certificate.id, certificate.sharesIssued])).toEqual([
      ['CS-1', 3],
      ['CS-2', 7],
    ]);
  });

  it('answers log_unavailable while the log cannot be read, and serves again once it can', async () => {
    const ledger = new FakeLedger();
    const cs = actor(ledger);
    ledger.failReads = true;
    await expect(cs.issue(ask(1))).rejects.toMatchObject({ code: 'log_unavailable' });
    expect(cs.snapshot().ready).toBe(false);
    ledger.failReads = false;
    expect((await cs.issue(ask(1))).id).toBe('CS-1');
    expect(cs.snapshot()).toMatchObject({ ready: true, certificates: 1, nextId: 'CS-2', remaining: 999 });
  });

  it('answers log_unavailable on time when the log hangs, refuses new requests at once, and numbers on from what landed', async () => {
    const ledger = new FakeLedger();
    const cs = new ShareClassActor({ code: 'CS', authorized: 1000 }, ledger, { ackTimeoutMs: 50 });
    await cs.recover();
    ledger.hold();
    const hung = cs.issue(ask(1));
    const queued = cs.issue(ask(1));
    await expect(hung).rejects.toMatchObject({ code: 'log_unavailable' });
    await expect(queued).rejects.toMatchObject({ code: 'log_unavailable' });
    await expect(cs.issue(ask(1))).rejects.toMatchObject({ code: 'log_unavailable' });
    // The hung write lands after all: its number is taken, and the queued request never got one.
    ledger.release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect((await cs.issue(ask(1))).id).toBe('CS-2');
    expect(ledger.records.map((certificate) => certificate.id)).toEqual(['CS-1', 'CS-2']);
  });

  it('answers every request already taken before close resolves, and refuses new ones', async () => {
    const ledger = new FakeLedger();
    const cs = actor(ledger);
    await cs.recover();
    ledger.hold();
    const taken = [cs.issue(ask(1)), cs.issue(ask(1)), cs.issue(ask(1))];
    const closed = cs.close();
    await expect(cs.issue(ask(1))).rejects.toMatchObject({ code: 'shutting_down' });
    ledger.release();
    await closed;
    expect((await Promise.all(taken)).map((certificate) => certificate.id)).toEqual(['CS-1', 'CS-2', 'CS-3']);
  });
});
