import { describe, expect, it } from 'vitest';
import { Sequencers } from '../../src/actors/sequencers.js';
import { FakeLedger } from '../support/fake-ledger.js';
import { certificates } from '../support/certificates.js';

const ask = (amount: number) => ({ class: 'CS', name: 'Ada', amount });

describe('Sequencers.find (lookup by number, in-memory ledger)', () => {
  it('finds certificates the log held before start, and those issued since', async () => {
    const ledger = new FakeLedger();
    ledger.records.push(...certificates('CS', 1, 3), ...certificates('PS', 1, 1));
    const sequencers = new Sequencers([{ code: 'CS', authorized: 1000 }], ledger);
    await sequencers.recoverAll();
    const issued = await sequencers.issue(ask(5));
    expect(sequencers.find('CS', 2)).toEqual(ledger.records[1]);
    expect(sequencers.find('CS', 4)).toEqual(issued);
    expect([sequencers.find('CS', 5), sequencers.find('PS', 1)]).toEqual([undefined, undefined]);
  });

  it('after a commit whose acknowledgement was lost, answers log_unavailable for unknown numbers until it re-read the log, then finds what landed', async () => {
    const ledger = new FakeLedger();
    const sequencers = new Sequencers([{ code: 'CS', authorized: 1000 }], ledger);
    await sequencers.recoverAll();
    const first = await sequencers.issue(ask(1));
    ledger.failNext = { landed: true };
    await expect(sequencers.issue(ask(2))).rejects.toMatchObject({ code: 'log_unavailable' });
    expect(sequencers.find('CS', 1)).toEqual(first);
    expect(() => sequencers.find('CS', 2)).toThrow(expect.objectContaining({ code: 'log_unavailable' }));
    await sequencers.recoverAll();
    expect(sequencers.find('CS', 2)).toEqual(ledger.records[1]);
    expect(sequencers.find('CS', 3)).toBeUndefined();
    expect((await sequencers.issue(ask(3))).id).toBe('CS-3');
  });
});
