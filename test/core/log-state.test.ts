import { describe, expect, it } from 'vitest';
import type { CertificateRecord, LoggedRecord } from '../../src/core/certificate.js';
import { LogWriter } from '../../src/actors/log-writer.js';
import { DEFAULTS } from '../../src/config.js';
import { LogState } from '../../src/core/log-state.js';
import type { VoidReason } from '../../src/core/validity.js';
import { FakeLedger, foreignRecord, nextTurn } from '../support/fake-ledger.js';

const CLASSES = [
  { code: 'CS', authorized: 100 },
  { code: 'PS', authorized: 10 },
];

/** Records laid out one per offset from `from`, each stating the offset it sits at unless it says otherwise. */
const at = (from: number, records: readonly CertificateRecord[]): LoggedRecord[] =>
  records.map((record, index) => ({ offset: from + index, record }));

/** A state, the voids it reports, and `apply`, which applies records and keeps the ids of the certificates applying returned. */
function observedState() {
  const voids: Array<[VoidReason, number]> = [];
  const heard: string[] = [];
  const state = new LogState(CLASSES, DEFAULTS.keyWindow, { voidRecord: (reason, offset) => voids.push([reason, offset]) });
  const apply = (entries: readonly LoggedRecord[]): void => void heard.push(...state.apply(entries).map(({ record }) => record.id));
  return { state, voids, heard, apply };
}

const numbers = (state: LogState, shareClass: string) => {
  const index = state.index(shareClass)!;
  return Array.from({ length: index.count }, (_, at) => index.get(at + 1)!.id);
};

describe('LogState', () => {
  it('indexes the certificates among the records it applies, per class, and counts and reports every void with its reason and offset', () => {
    const { state, voids } = observedState();
    state.apply([
      ...at(0, [
        foreignRecord('CS', 1, { offset: 0 }),
        foreignRecord('CS', 1, { offset: 0 }),
        foreignRecord('PS', 1, { offset: 2, amount: 11 }),
      ]),
      { offset: 3, malformed: 'not JSON' },
      ...at(4, [foreignRecord('PS', 1, { offset: 4 }), foreignRecord('CS', 2, { offset: 5, amount: 5, sharesIssued: 6 })]),
    ]);
    expect([numbers(state, 'CS'), numbers(state, 'PS')]).toEqual([['CS-1', 'CS-2'], ['PS-1']]);
    expect(state.index('CS')!.sharesIssued).toBe(6);
    expect(voids).toEqual([
      ['misplaced', 1],
      ['over_authorized', 2],
      ['malformed', 3],
    ]);
    expect([state.voidRecords, state.end]).toEqual([3, 6]);
  });

  it('passes over records below its end: a tail and a re-read bringing the same records change nothing and judge nothing twice', () => {
    const { state, voids, heard, apply } = observedState();
    const log = at(0, [
      foreignRecord('CS', 1, { offset: 0 }),
      foreignRecord('CS', 1, { offset: 0 }),
      foreignRecord('CS', 2, { offset: 2 }),
    ]);
    apply(log.slice(0, 2));
    apply(log);
    apply(log.slice(1));
    expect(numbers(state, 'CS')).toEqual(['CS-1', 'CS-2']);
    expect(heard).toEqual(['CS-1', 'CS-2']);
    expect([voids.length, state.voidRecords, state.end]).toEqual([1, 1, 3]);
  });

  it('readTo moves the end past offsets that hold no record, never back, and what arrives below the end then is ignored', () => {
    const { state, heard, apply } = observedState();
    apply(at(0, [foreignRecord('CS', 1, { offset: 0 })]));
    state.readTo(4);
    expect(state.end).toBe(4);
    apply(at(2, [foreignRecord('CS', 2, { offset: 2 })]));
    state.readTo(3);
    expect(state.end).toBe(4);
    apply(at(4, [foreignRecord('CS', 2, { offset: 4 })]));
    expect(heard).toEqual(['CS-1', 'CS-2']);
    expect(state.end).toBe(5);
  });

  it('returns the certificates among the records it applies, in log order, never a void record', () => {
    const state = new LogState(CLASSES, DEFAULTS.keyWindow);
    const applied = state.apply(
      at(0, [
        foreignRecord('PS', 1, { offset: 0, request: 'p1' }),
        foreignRecord('CS', 1, { offset: 0, request: 'c1-stale' }),
        foreignRecord('CS', 1, { offset: 2, request: 'c1' }),
      ]),
    );
    expect(applied.map(({ record }) => `${record.id}:${record.request}`)).toEqual(['PS-1:p1', 'CS-1:c1']);
  });

  it('picks, per class, the longest prefix of a numbered write that would continue its class if it landed next', () => {
    const state = new LogState(CLASSES, DEFAULTS.keyWindow);
    state.apply(at(0, [foreignRecord('CS', 1, { offset: 0 })]));
    const write = [
      foreignRecord('CS', 2),
      foreignRecord('PS', 1, { amount: 4 }),
      foreignRecord('CS', 4),
      foreignRecord('PS', 2, { amount: 3, sharesIssued: 7 }),
      foreignRecord('CS', 3),
    ];
    expect(state.continuing(write).map((record) => record.id)).toEqual(['CS-2', 'PS-1', 'PS-2']);
  });

  it("fed by the log's tail, holds what a writer on another instance writes, as it lands, until the tail stops or fails", async () => {
    const ledger = new FakeLedger();
    const writerState = new LogState(CLASSES, DEFAULTS.keyWindow);
    const writer = new LogWriter(ledger, writerState);
    await writer.commit([foreignRecord('CS', 1)]);
    const { state: follower, heard, apply } = observedState();
    const errors: unknown[] = [];
    const tail = ledger.follow(
      0,
      (entries) => apply(entries),
      (error) => errors.push(error),
    );
    await writer.commit([foreignRecord('CS', 2), foreignRecord('PS', 1)]);
    await nextTurn();
    expect(heard).toEqual(['CS-1', 'CS-2', 'PS-1']);
    await tail.stop();
    await writer.commit([foreignRecord('CS', 3)]);
    await nextTurn();
    expect(follower.end).toBe(3);

    const failing = ledger.follow(
      follower.end,
      (entries) => follower.apply(entries),
      (error) => errors.push(error),
    );
    ledger.failReads = true;
    ledger.inject([foreignRecord('CS', 4, { offset: 4 })]);
    await nextTurn();
    await failing.stop();
    expect(errors).toHaveLength(1);
    expect(follower.end).toBe(3);
  });
});
