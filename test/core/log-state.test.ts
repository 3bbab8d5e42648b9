import { describe, expect, it } from 'vitest';
import type { CertificateRecord } from '../../src/core/certificate.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import { LogWriter } from '../../src/actors/log-writer.js';
import { DEFAULTS } from '../../src/config.js';
import { LogState } from '../../src/core/log-state.js';
import type { VoidReason } from '../../src/core/validity.js';
import { encodeValue } from '../../src/core/record-format.js';
import { encodeSeal } from '../../src/core/seal.js';
import { newStoredKey } from '../../src/signing/key-file.js';
import { FakeLedger, foreignRecord, nextTurn } from '../support/fake-ledger.js';
import { certificates } from '../support/certificates.js';
import { SignedLogBuilder } from '../support/signed-log.js';
import { keysOf } from '../support/signing.js';

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
  const apply = (entries: readonly LoggedRecord[]): void => void heard.push(...state.apply(entries).map(({ record }) => record!.id));
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
    expect(applied.map(({ record }) => `${record!.id}:${record!.request}`)).toEqual(['PS-1:p1', 'CS-1:c1']);
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

describe('LogState on a signed log', () => {
  const NOW = new Date('2026-06-01T12:00:00.000Z');
  const keys = keysOf(newStoredKey(new Date('2026-01-01T00:00:00.000Z')));
  const forger = keysOf(newStoredKey(new Date('2026-01-01T00:00:00.000Z')));

  /** A state judging with the key, and what it reported void, as reason:offset. */
  function signedState() {
    const voids: string[] = [];
    const state = new LogState(CLASSES, DEFAULTS.keyWindow, { voidRecord: (reason, offset) => voids.push(`${reason}:${offset}`) }, keys);
    return { state, voids };
  }

  it("applies a signed write's certificates at its seal, with proofs, indexes where the write starts, and takes the seal as its head", () => {
    const log = new SignedLogBuilder(CLASSES, keys);
    const entries = [
      ...log.unsigned(certificates('CS', 1, 1, 1)).entries,
      ...log.signed([...certificates('CS', 2, 1, 1), ...certificates('PS', 1, 1, 3)], keys, NOW).entries,
    ];
    const { state, voids } = signedState();
    expect(state.apply(entries.slice(0, 3)).map(({ record }) => record!.id)).toEqual(['CS-1']);
    expect([state.end, state.head, numbers(state, 'CS')]).toEqual([3, undefined, ['CS-1']]);
    const applied = state.apply(entries.slice(3));
    expect(applied.map(({ record, proof }) => [record!.id, proof?.seal.offset])).toEqual([
      ['CS-2', 3],
      ['PS-1', 3],
    ]);
    expect(state.head).toEqual(applied[0]!.proof!.seal);
    expect(state.head).toMatchObject({ offset: 3, head: { first: 1, count: 2 } });
    expect({ head: state.head!.head, signature: state.head!.signature }).toEqual(entries[3]!.seal);
    expect([state.index('CS')!.writeOf(1), state.index('CS')!.writeOf(2), state.index('PS')!.writeOf(1)]).toEqual([undefined, 1, 1]);
    expect([state.end, voids]).toEqual([4, []]);
  });

  it('counts and reports a void write record by record, its seal too, and a record outside a write once the log is signed', () => {
    const log = new SignedLogBuilder(CLASSES, keys);
    const entries = [
      ...log.signed(certificates('CS', 1, 1, 1), keys, NOW).entries,
      ...log.signed(certificates('CS', 2, 2, 1), forger, NOW).entries,
      ...log.unsigned(certificates('PS', 1, 1, 1)).entries,
    ];
    const { state, voids } = signedState();
    expect(state.apply(entries).map(({ record }) => record!.id)).toEqual(['CS-1']);
    expect(voids).toEqual(['untrusted_key:2', 'untrusted_key:3', 'untrusted_key:4', 'unsigned:5']);
    expect([state.voidRecords, state.end, state.head?.offset]).toEqual([4, 6, 1]);
  });

  it('gives no snapshot while a signed write is read in part, and one ending after its seal once the seal is read', () => {
    const { entries } = new SignedLogBuilder(CLASSES, keys).signed(
      [...certificates('CS', 1, 1, 1), ...certificates('PS', 1, 1, 1)],
      keys,
      NOW,
    );
    const { state } = signedState();
    state.apply(entries.slice(0, 1));
    expect(state.snapshot()).toBeUndefined();
    state.apply(entries.slice(1, 2));
    expect(state.snapshot()).toBeUndefined();
    state.apply(entries.slice(2));
    expect(state.snapshot()).toMatchObject({ end: 3, progress: { head: state.head }, anchor: { offset: 2 } });
  });

  it('states, for the next write, the head its seal must sign: what the rule then finds valid', () => {
    const { state } = signedState();
    state.apply(new SignedLogBuilder(CLASSES, keys).signed(certificates('CS', 1, 1, 4), keys, NOW).entries);
    const records = [foreignRecord('PS', 1, { offset: 2, amount: 2, seal: 4 }), foreignRecord('CS', 2, { offset: 3, amount: 4, seal: 4 })];
    const values = records.map(encodeValue);
    const head = state.headOf(records, values, NOW);
    expect(head).toMatchObject({
      first: 2,
      count: 2,
      prev: state.head!.hash,
      classes: { CS: { number: 2, sharesIssued: 8 }, PS: { number: 1, sharesIssued: 2 } },
      at: NOW.toISOString(),
    });
    // A clock behind the newest head's still gives a head no earlier than it: the chain's times never go back.
    expect(state.headOf(records, values, new Date('2026-05-01T00:00:00.000Z')).at).toBe(NOW.toISOString());
    const seal = keys.sign(head);
    const applied = state.apply([
      ...records.map((record, index) => ({ offset: 2 + index, record, value: values[index]! })),
      { offset: 4, seal, value: encodeSeal(seal) },
    ]);
    expect(applied.map(({ record }) => record!.id)).toEqual(['PS-1', 'CS-2']);
    expect(state.head?.offset).toBe(4);
  });

  it('leaves out of a write an event whose results no longer continue their class, with them: written alone it would be void', () => {
    const log = new SignedLogBuilder(CLASSES, keysOf());
    log.unsigned(certificates('CS', 1, 2));
    const at = '2026-03-01T00:00:00.000Z';
    // Numbered on a view that knew only CS-1: another writer took CS-2 meanwhile.
    const [stale] = certificates('CS', 2, 1);
    const transfer = { event: 'transfer' as const, class: 'CS', at, certificate: 'CS-1', quantity: 10, results: ['CS-2'] };
    const write = [
      transfer,
      { ...stale!, origin: 0 },
      ...certificates('PS', 1, 1),
      { ...transfer, certificate: 'CS-2', results: ['CS-3'] },
    ];
    expect(log.state.continuing(write)).toEqual([write[2]]);
    // Its results continuing, it is kept with them.
    const renumbered = { ...certificates('CS', 3, 1)[0]!, origin: 0 };
    const again = [{ ...transfer, results: ['CS-3'] }, renumbered];
    expect(log.state.continuing(again)).toEqual(again);
  });
});
