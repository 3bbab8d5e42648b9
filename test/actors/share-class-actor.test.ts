import { describe, expect, it } from 'vitest';
import type { CertificateError } from '../../src/errors.js';
import { certificates } from '../support/certificates.js';
import { FakeLedger, fakeInstance } from '../support/fake-ledger.js';

const NOW = () => new Date('2026-01-02T03:04:05.000Z');
const ask = (amount: number, name = 'Ada') => ({ class: 'CS', name, amount });

async function instance(ledger: FakeLedger, authorized = 1000, options = {}) {
  return fakeInstance(ledger, [{ code: 'CS', authorized }], { now: NOW, ...options });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as CertificateError).code;
  }
}

const ids = (ledger: FakeLedger) => ledger.records.map((record) => `${record.id}@${record.offset}`);

describe('ShareClassActor (pure sequencing logic, in-memory log)', () => {
  it('numbers from 1, keeps a running total, and states in each record the offset it expects and the request it answers', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await instance(ledger);
    const first = await sequencers.issue(ask(10));
    const second = await sequencers.issue(ask(5));
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
    expect(ids(ledger)).toEqual(['CS-1@0', 'CS-2@1']);
    expect(new Set(ledger.records.map((record) => record.request)).size).toBe(2);
  });

  it('gathers requests that arrive during a commit into one contiguous batch', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await instance(ledger);
    ledger.hold();
    const first = sequencers.issue(ask(1));
    const rest = Array.from({ length: 50 }, () => sequencers.issue(ask(1)));
    ledger.release();
    const numbers = (await Promise.all([first, ...rest])).map((certificate) => certificate.number);
    expect(numbers).toEqual(Array.from({ length: 51 }, (_, index) => index + 1));
    expect(ledger.appends).toEqual([1, 50]);
  });

  it('refuses a request larger than what remains without consuming a number or holding back smaller ones', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await instance(ledger, 100);
    ledger.hold();
    const blocker = sequencers.issue(ask(90));
    const tooBig = sequencers.issue(ask(20));
    const fits = sequencers.issue(ask(10));
    ledger.release();
    expect((await blocker).id).toBe('CS-1');
    // Refusals are answered once the batch's certificates hold, with what remains then.
    await expect(tooBig).rejects.toMatchObject({ code: 'insufficient_shares', details: { requested: 20, remaining: 0 } });
    expect(await fits).toMatchObject({ id: 'CS-2', sharesIssued: 100 });
    await expect(sequencers.issue(ask(1))).rejects.toMatchObject({ code: 'insufficient_shares', details: { remaining: 0 } });
    expect(ids(ledger)).toEqual(['CS-1@0', 'CS-2@1']);
  });

  it('numbers again, without the client noticing, requests whose write lost the race to another writer', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await instance(ledger);
    expect((await sequencers.issue(ask(1))).id).toBe('CS-1');
    // Another writer issues CS-2 and CS-3 meanwhile: this instance's next write, stated for offset 1, lands at 3.
    ledger.land(certificates('CS', 2, 2, 1).map((record, index) => ({ ...record, sharesIssued: 2 + index, offset: 1 + index })));
    const answered = await sequencers.issue(ask(1, 'Bea'));
    expect(answered).toMatchObject({ id: 'CS-4', name: 'Bea', sharesIssued: 4 });
    expect(ids(ledger)).toEqual(['CS-1@0', 'CS-2@1', 'CS-3@2', 'CS-2@1', 'CS-4@4']);
  });

  it('numbers again, before writing, requests numbered on what the log held before the writer read it again', async () => {
    const ledger = new FakeLedger();
    const { sequencers, writer, state } = await instance(ledger);
    expect((await sequencers.issue(ask(1))).id).toBe('CS-1');
    // As after a role change: the writer must read the log before its next write, and meanwhile CS-2 was issued elsewhere.
    writer.forget();
    ledger.land([{ ...certificates('CS', 2, 1, 1)[0]!, sharesIssued: 2, offset: 1 }]);
    expect(await sequencers.issue(ask(1, 'Eve'))).toMatchObject({ id: 'CS-3', name: 'Eve' });
    // Nothing was written on the stale numbering: a correct writer never writes what the rule voids for its content.
    expect(ids(ledger)).toEqual(['CS-1@0', 'CS-2@1', 'CS-3@2']);
    expect(state.voidRecords).toBe(0);
  });

  it('numbers again requests that a tail overtook between numbering and writing (a writer demoted mid-batch)', async () => {
    const ledger = new FakeLedger();
    const { sequencers, state } = await instance(ledger);
    const answer = sequencers.issue(ask(1, 'Fay'));
    // The request is numbered CS-1 by now; before its write goes out, a tail brings another writer's CS-1.
    const foreign = { ...certificates('CS', 1, 1, 1)[0]!, offset: 0 };
    ledger.land([foreign]);
    state.apply([{ offset: 0, record: foreign }]);
    expect(await answer).toMatchObject({ id: 'CS-2', name: 'Fay' });
    expect(ids(ledger)).toEqual(['CS-1@0', 'CS-2@1']);
    expect(state.voidRecords).toBe(0);
  });

  it('judges refusals on the numbers that held: after renumbering, a request the other writer left no room for is refused', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await instance(ledger, 10);
    ledger.land([{ ...certificates('CS', 1, 1, 8)[0]!, offset: 0 }]);
    // This instance still believes 10 shares remain; the log says 2.
    await expect(sequencers.issue(ask(5))).rejects.toMatchObject({ code: 'insufficient_shares', details: { remaining: 2 } });
    expect(await sequencers.issue(ask(2))).toMatchObject({ id: 'CS-2', sharesIssued: 10 });
  });

  it('answers a request whose write landed but whose answer was lost with the certificate that landed, issued once', async () => {
    const ledger = new FakeLedger();
    const { sequencers, state } = await instance(ledger);
    ledger.failNext('landed-unacknowledged');
    expect(await sequencers.issue(ask(3))).toMatchObject({ id: 'CS-1', sharesIssued: 3 });
    expect((await sequencers.issue(ask(4))).id).toBe('CS-2');
    expect(ids(ledger)).toEqual(['CS-1@0', 'CS-2@1']);
    expect(state.voidRecords).toBe(0);
  });

  it('numbers again a request whose write was lost, and voids that write if it lands late', async () => {
    const ledger = new FakeLedger();
    const { sequencers, state } = await instance(ledger);
    ledger.failNext('late');
    expect(await sequencers.issue(ask(3, 'Cy'))).toMatchObject({ id: 'CS-1', name: 'Cy' });
    expect(ledger.deliverLate()).toBe(true);
    // The writer cannot know of the late landing until its next write lands past its stated offset.
    expect((await sequencers.issue(ask(4))).id).toBe('CS-2');
    expect(ids(ledger)).toEqual(['CS-1@0', 'CS-1@0', 'CS-2@1', 'CS-2@3']);
    expect(state.voidRecords).toBe(2);
  });

  it('answers log_unavailable after losing the race maxAttempts times in a row, having issued nothing for it', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await instance(ledger, 1000, { maxAttempts: 3 });
    // Before each of its writes lands, another writer takes the next number.
    let foreign = 0;
    ledger.beforeLanding = async () => {
      foreign += 1;
      ledger.land([{ ...certificates('CS', foreign, 1, 1)[0]!, offset: ledger.records.length }]);
    };
    await expect(sequencers.issue(ask(1, 'Dee'))).rejects.toMatchObject({ code: 'log_unavailable' });
    expect(ledger.appends).toEqual([1, 1, 1]);
    ledger.beforeLanding = () => Promise.resolve();
    expect(await sequencers.issue(ask(1))).toMatchObject({ id: 'CS-4' });
  });

  it('answers log_unavailable while the log can be neither written nor read, and serves again once it can', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await instance(ledger);
    ledger.failNext('lost');
    ledger.failReads = true;
    expect(await codeOf(sequencers.issue(ask(1)))).toBe('log_unavailable');
    ledger.failReads = false;
    expect((await sequencers.issue(ask(1))).id).toBe('CS-1');
    expect(sequencers.snapshots()[0]).toMatchObject({ ready: true, certificates: 1, nextId: 'CS-2', remaining: 999 });
  });

  it('answers log_unavailable on time when the log hangs, refuses new requests at once, and numbers on from what landed', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await instance(ledger, 1000, { ackTimeoutMs: 50 });
    ledger.hold();
    const hung = sequencers.issue(ask(1));
    await new Promise((resolve) => setTimeout(resolve, 0));
    const queued = sequencers.issue(ask(1));
    await expect(hung).rejects.toMatchObject({ code: 'log_unavailable' });
    await expect(queued).rejects.toMatchObject({ code: 'log_unavailable' });
    await expect(sequencers.issue(ask(1))).rejects.toMatchObject({ code: 'log_unavailable' });
    // The hung write lands after all: its number is taken, and the queued request never got one.
    ledger.release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect((await sequencers.issue(ask(1))).id).toBe('CS-2');
    expect(ids(ledger)).toEqual(['CS-1@0', 'CS-2@1']);
  });

  it('answers every request already taken before close resolves, and refuses new ones', async () => {
    const ledger = new FakeLedger();
    const { sequencers } = await instance(ledger);
    ledger.hold();
    const taken = [sequencers.issue(ask(1)), sequencers.issue(ask(1)), sequencers.issue(ask(1))];
    const closed = sequencers.closeAll();
    await expect(sequencers.issue(ask(1))).rejects.toMatchObject({ code: 'shutting_down' });
    ledger.release();
    await closed;
    expect((await Promise.all(taken)).map((certificate) => certificate.id)).toEqual(['CS-1', 'CS-2', 'CS-3']);
  });

  it('finds certificates the log held before start, those issued since, and those another writer wrote once it read them', async () => {
    const ledger = new FakeLedger();
    ledger.land(certificates('CS', 1, 3).map((record, offset) => ({ ...record, offset })));
    const { sequencers, writer } = await instance(ledger);
    const issued = await sequencers.issue(ask(5));
    expect(sequencers.find('CS', 2)).toMatchObject({ id: 'CS-2', name: 'Holder 2' });
    expect(sequencers.find('CS', 4)).toEqual(issued);
    ledger.land([{ ...certificates('CS', 5, 1, 1)[0]!, sharesIssued: 36, offset: 4 }]);
    expect(sequencers.find('CS', 5)).toBeUndefined();
    await writer.sync();
    expect(sequencers.find('CS', 5)).toMatchObject({ id: 'CS-5', sharesIssued: 36 });
    expect([sequencers.find('CS', 6), sequencers.find('PS', 1)]).toEqual([undefined, undefined]);
  });
});
