import { describe, expect, it } from 'vitest';
import { certificateOf, type Certificate, type CertificateRecord } from '../../src/core/certificate.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import type { EncodedRecord } from '../../src/core/ledger.js';
import { checkProof } from '../../src/core/proof.js';
import { GENESIS, type Head } from '../../src/core/seal.js';
import { ValidityRule, type VoidReason } from '../../src/core/validity.js';
import { newStoredKey } from '../../src/signing/key-file.js';
import { foreignRecord } from '../support/fake-ledger.js';
import { resigned, sealOf, withSeal } from '../support/altered-write.js';
import { certificates } from '../support/certificates.js';
import { SignedLogBuilder } from '../support/signed-log.js';
import { keysOf } from '../support/signing.js';

const AUTHORIZED = [
  { code: 'CS', authorized: 10 },
  { code: 'PS', authorized: 5 },
];

/** Judges records as laid out in the log, one per offset from 0; returns each verdict as `valid` or its reason. */
function judgeAll(records: readonly CertificateRecord[], rule = new ValidityRule(AUTHORIZED)): Array<'valid' | VoidReason> {
  return records.map((record, offset) => {
    const [verdict] = rule.judge({ offset, record });
    return verdict!.kind === 'void' ? verdict!.reason : 'valid';
  });
}

describe('ValidityRule', () => {
  it('admits a record at its stated offset that continues its class, and moves the class tail', () => {
    const rule = new ValidityRule(AUTHORIZED);
    expect(judgeAll([foreignRecord('CS', 1, { offset: 0, amount: 4 }), foreignRecord('PS', 1, { offset: 1 })], rule)).toEqual([
      'valid',
      'valid',
    ]);
    expect(rule.tail('CS')).toEqual({ number: 1, sharesIssued: 4, outstanding: 4 });
    expect(rule.tail('PS')).toEqual({ number: 1, sharesIssued: 1, outstanding: 1 });
    expect(rule.tail('XS')).toEqual({ number: 0, sharesIssued: 0, outstanding: 0 });
  });

  it('voids as misplaced a record that landed away from the offset its writer stated, whatever its content', () => {
    // A stale writer's CS-1 stated for offset 0 lands at 1, behind another writer's CS-1.
    const verdicts = judgeAll([
      foreignRecord('CS', 1, { offset: 0 }),
      foreignRecord('CS', 1, { offset: 0 }),
      foreignRecord('CS', 2, { offset: 1 }),
    ]);
    expect(verdicts).toEqual(['valid', 'misplaced', 'misplaced']);
  });

  it('voids an undecodable record as malformed, naming its offset', () => {
    const verdict = new ValidityRule(AUTHORIZED).judge({ offset: 7, malformed: 'not JSON' });
    expect(verdict).toEqual([{ kind: 'void', offset: 7, reason: 'malformed', message: 'offset 7: not JSON' }]);
  });

  it('voids a record of a class that is not configured', () => {
    expect(judgeAll([foreignRecord('XS', 1, { offset: 0 })])).toEqual(['unknown_class']);
  });

  it('voids a record that skips or repeats a number of its class', () => {
    const verdicts = judgeAll([
      foreignRecord('CS', 2, { offset: 0, sharesIssued: 1 }),
      foreignRecord('CS', 1, { offset: 1 }),
      foreignRecord('CS', 1, { offset: 2, sharesIssued: 2 }),
    ]);
    expect(verdicts).toEqual(['out_of_sequence', 'valid', 'out_of_sequence']);
  });

  it('voids a record whose running total is not the previous total plus its amount', () => {
    const verdicts = judgeAll([
      foreignRecord('CS', 1, { offset: 0, amount: 3, sharesIssued: 4 }),
      foreignRecord('CS', 1, { offset: 1, amount: 3 }),
    ]);
    expect(verdicts).toEqual(['wrong_total', 'valid']);
  });

  it('admits a class up to exactly its authorized shares and voids what goes beyond', () => {
    const verdicts = judgeAll([
      foreignRecord('PS', 1, { offset: 0, amount: 5 }),
      foreignRecord('PS', 2, { offset: 1, amount: 1, sharesIssued: 6 }),
      foreignRecord('CS', 1, { offset: 2, amount: 11 }),
    ]);
    expect(verdicts).toEqual(['valid', 'over_authorized', 'over_authorized']);
  });

  it('leaves the class tail where it was after a void record, so the next correct record still continues it', () => {
    const rule = new ValidityRule(AUTHORIZED);
    const verdicts = judgeAll(
      [
        foreignRecord('CS', 1, { offset: 0 }),
        foreignRecord('CS', 2, { offset: 1, amount: 20, sharesIssued: 21 }),
        foreignRecord('CS', 3, { offset: 2, sharesIssued: 2 }),
        foreignRecord('CS', 2, { offset: 3 }),
      ],
      rule,
    );
    expect(verdicts).toEqual(['valid', 'over_authorized', 'out_of_sequence', 'valid']);
    expect(rule.tail('CS')).toEqual({ number: 2, sharesIssued: 2, outstanding: 2 });
  });

  it('judges records written before scale-out, which state no offset, by continuation alone', () => {
    const verdicts = judgeAll([
      foreignRecord('CS', 1),
      foreignRecord('CS', 3, { sharesIssued: 2 }),
      foreignRecord('CS', 2),
      foreignRecord('PS', 1),
    ]);
    expect(verdicts).toEqual(['valid', 'out_of_sequence', 'valid', 'valid']);
  });

  it('voids a record stating no offset once any record stated one, even a misplaced one: an old instance is still writing', () => {
    const verdicts = judgeAll([foreignRecord('CS', 1), foreignRecord('CS', 2, { offset: 1 }), foreignRecord('CS', 3)]);
    expect(verdicts).toEqual(['valid', 'valid', 'legacy_after_upgrade']);
    const afterMisplaced = judgeAll([foreignRecord('CS', 1, { offset: 5 }), foreignRecord('CS', 1)]);
    expect(afterMisplaced).toEqual(['misplaced', 'legacy_after_upgrade']);
  });

  it('accepts gaps between offsets (compacted or control records) but refuses to judge an offset twice or out of order', () => {
    const rule = new ValidityRule(AUTHORIZED);
    expect(rule.judge({ offset: 3, record: foreignRecord('CS', 1, { offset: 3 }) })[0]?.kind).toBe('certificate');
    expect(() => rule.judge({ offset: 3, record: foreignRecord('CS', 2, { offset: 3 }) })).toThrow(/log order/);
    expect(() => rule.judge({ offset: 1, malformed: 'late' })).toThrow(/log order/);
    expect(rule.judge({ offset: 9, record: foreignRecord('CS', 2, { offset: 9 }) })[0]?.kind).toBe('certificate');
  });
});

describe('ValidityRule on a signed log', () => {
  // A fixed clock: the key may sign from January; a reader may trust it only until March, or only from July.
  const NOW = new Date('2026-06-01T12:00:00.000Z');
  const KEY = newStoredKey(new Date('2026-01-01T00:00:00.000Z'));
  const keys = keysOf(KEY);
  const forger = keysOf(newStoredKey(new Date('2026-01-01T00:00:00.000Z')));
  const newLog = () => new SignedLogBuilder(AUTHORIZED, keys);
  /** Certificates of a class from `number` on, one share each. */
  const shares = (shareClass: string, number: number, count = 1) => certificates(shareClass, number, count, 1);
  /** The writes an honest signing writer makes on an empty log, encoded: templates for the altered ones. */
  function honestWrites(...writes: ReadonlyArray<readonly Certificate[]>): EncodedRecord[][] {
    const log = newLog();
    return writes.map((write) => log.signed(write, keys, NOW).encoded);
  }

  /** Every verdict the rule reaches on the entries, with those `finish` reaches at the end of the read, as offset:kind. */
  function verdictsOf(entries: readonly LoggedRecord[], rule = new ValidityRule(AUTHORIZED, keys)): string[] {
    const verdicts = [...entries.flatMap((entry) => rule.judge(entry)), ...rule.finish()];
    return verdicts.map((verdict) => `${verdict.offset}:${verdict.kind === 'void' ? verdict.reason : verdict.kind}`);
  }

  it("holds a signed write's records until its seal, then makes them certificates with proofs that check, and the seal the head", () => {
    const log = newLog();
    const { entries } = log.signed([...certificates('CS', 1, 1, 2), ...shares('PS', 1), ...certificates('CS', 2, 1, 2)], keys, NOW);
    const rule = new ValidityRule(AUTHORIZED, keys);
    for (const entry of entries.slice(0, 3)) expect(rule.judge(entry)).toEqual([]);
    expect([rule.waiting, rule.tail('CS'), rule.signedHead]).toEqual([true, { number: 0, sharesIssued: 0, outstanding: 0 }, undefined]);
    const verdicts = rule.judge(entries[3]!);
    expect(verdicts.map((verdict) => `${verdict.offset}:${verdict.kind}`)).toEqual([
      '0:certificate',
      '1:certificate',
      '2:certificate',
      '3:head',
    ]);
    const head = rule.signedHead!;
    expect(head).toMatchObject({ offset: 3, head: { first: 0, count: 3, prev: GENESIS, key: KEY.kid, at: NOW.toISOString() } });
    expect(head.head.classes).toEqual({ CS: { number: 2, sharesIssued: 4 }, PS: { number: 1, sharesIssued: 1 } });
    for (const verdict of verdicts) {
      if (verdict.kind !== 'certificate') continue;
      expect(verdict.proof!.seal).toEqual(head);
      expect(checkProof(certificateOf(verdict.record), verdict.proof!, keys)).toBe('ok');
    }
    expect([rule.waiting, rule.tail('CS'), rule.tail('PS')]).toEqual([
      false,
      { number: 2, sharesIssued: 4, outstanding: 4 },
      { number: 1, sharesIssued: 1, outstanding: 1 },
    ]);
    // The next write names this head as its `prev`, and is valid in turn.
    expect(verdictsOf(log.signed(certificates('CS', 3, 1, 2), keys, NOW).entries, rule)).toEqual(['4:certificate', '5:head']);
    expect(rule.signedHead!.head.prev).toBe(head.hash);
  });

  it('voids, as unsigned, a write whose seal never comes: the next record shows it, or the end of the read', () => {
    const [cut] = honestWrites(shares('CS', 1, 2));
    const log = newLog();
    const entries = [...log.land(cut!.slice(0, -1)).entries, ...log.signed(shares('CS', 1), keys, NOW).entries];
    // The next honest write numbers CS-1 again: the write cut short was never a certificate.
    expect(verdictsOf(entries)).toEqual(['0:unsigned', '1:unsigned', '2:certificate', '3:head']);
    expect(verdictsOf(newLog().land(cut!.slice(0, -1)).entries)).toEqual(['0:unsigned', '1:unsigned']);
  });

  it('voids a write for its seal: altered records or a signature not of its head are bad_signature', () => {
    const [write] = honestWrites(shares('CS', 1, 2));
    const tampered = write!.map((record, index) =>
      index === 1 ? { ...record, value: record.value.replace('Holder 2', 'Mallory 2') } : record,
    );
    expect(verdictsOf(newLog().land(tampered).entries)).toEqual(['0:bad_signature', '1:bad_signature', '2:bad_signature']);
    // The forger's signature of the same head, under the real key's id.
    const forgedSignature = withSeal(write!, (seal) => ({ ...seal, signature: sealOf(resigned(write!, forger)).signature }));
    expect(verdictsOf(newLog().land(forgedSignature).entries)).toEqual(['0:bad_signature', '1:bad_signature', '2:bad_signature']);
  });

  it('voids a write signed by a key the reader does not trust (untrusted_key), or not at the seal time (retired_key)', () => {
    const forged = newLog().signed([...shares('CS', 1), ...shares('PS', 1)], forger, NOW);
    expect(verdictsOf(forged.entries)).toEqual(['0:untrusted_key', '1:untrusted_key', '2:untrusted_key']);
    const honest = newLog().signed(shares('CS', 1), keys, NOW);
    const retired = new ValidityRule(AUTHORIZED, keysOf({ ...KEY, retiredAt: '2026-03-01T00:00:00.000Z' }));
    expect(verdictsOf(honest.entries, retired)).toEqual(['0:retired_key', '1:retired_key']);
    const notYet = new ValidityRule(AUTHORIZED, keysOf({ ...KEY, notBefore: '2026-07-01T00:00:00.000Z' }));
    expect(verdictsOf(honest.entries, notYet)).toEqual(['0:retired_key', '1:retired_key']);
  });

  it('voids, as broken_chain, a write whose seal does not continue the heads: another prev, an earlier time, other counts, other records', () => {
    const changes: Array<[string, (head: Omit<Head, 'key'>) => Omit<Head, 'key'>]> = [
      ['prev', (head) => ({ ...head, prev: GENESIS })],
      ['time', (head) => ({ ...head, at: '2026-05-01T00:00:00.000Z' })],
      ['counts', (head) => ({ ...head, classes: { ...head.classes, PS: { number: 0, sharesIssued: 0 } } })],
      ['first', (head) => ({ ...head, first: head.first - 1, count: head.count + 1 })],
    ];
    const [first, second] = honestWrites(shares('CS', 1), shares('CS', 2));
    for (const [what, change] of changes) {
      const log = newLog();
      const entries = [
        ...log.land(first!).entries,
        // Signed with the trusted key: only the chain is wrong.
        ...log.land(resigned(second!, keys, change)).entries,
        // The honest writer's next write continues the last valid head, numbering CS-2 again.
        ...log.signed(shares('CS', 2), keys, NOW).entries,
      ];
      expect([what, ...verdictsOf(entries)]).toEqual([
        what,
        '0:certificate',
        '1:head',
        '2:broken_chain',
        '3:broken_chain',
        '4:certificate',
        '5:head',
      ]);
    }
  });

  it('voids a record outside any signed write once the log is signed (unsigned), and judges records before the first seal as before', () => {
    const log = newLog();
    const entries = [
      ...log.unsigned([...shares('CS', 1), ...shares('PS', 1)]).entries,
      ...log.land([{ key: 'CS', value: 'not JSON' }]).entries,
      ...log.signed(shares('CS', 2), keys, NOW).entries,
      ...log.unsigned(shares('CS', 3)).entries,
      ...log.signed(shares('CS', 3), keys, NOW).entries,
    ];
    expect(verdictsOf(entries)).toEqual([
      '0:certificate',
      '1:certificate',
      '2:malformed',
      '3:certificate',
      '4:head',
      '5:unsigned',
      '6:certificate',
      '7:head',
    ]);
  });

  it('keeps every verdict on a topic written unsigned, by an older version, once a signing writer continues it', () => {
    // The bytes an unsigned topic holds (issue 32 part 5): legacy records without offsets, then records stating
    // theirs, a misplaced retry, a record over the authorized shares, an undecodable one, an old instance's
    // record without an offset after the upgrade.
    const fixture: EncodedRecord[] = [
      ['CS', 1, 4, 4, undefined],
      ['CS', 2, 1, 5, undefined],
      ['PS', 1, 2, 2, 2],
      ['PS', 1, 2, 2, 2],
      ['PS', 2, 9, 11, 4],
      ['CS', 3, 3, 8, 5],
    ].map(([code, number, amount, sharesIssued, offset]) => ({
      key: code as string,
      value: JSON.stringify({
        id: `${code}-${number}`,
        class: code,
        number,
        name: `Holder ${number}`,
        amount,
        issuedAt: '2025-11-24T15:31:00.000Z',
        sharesIssued,
        ...(offset === undefined ? {} : { offset, request: `legacy-${String(offset)}` }),
      }),
    }));
    fixture.push(
      { key: 'PS', value: '{"id":"PS-2"' },
      { key: 'CS', value: fixture[0]!.value.replace('CS-1', 'CS-4').replace('"number":1', '"number":4') },
    );
    const log = newLog();
    const unsigned = log.land(fixture).entries;
    const before = verdictsOf(unsigned, new ValidityRule(AUTHORIZED));
    expect(before).toEqual([
      '0:certificate',
      '1:certificate',
      '2:certificate',
      '3:misplaced',
      '4:over_authorized',
      '5:certificate',
      '6:malformed',
      '7:legacy_after_upgrade',
    ]);
    const entries = [
      ...unsigned,
      ...log.signed([foreignRecord('CS', 4, { sharesIssued: 9 }), foreignRecord('PS', 2, { sharesIssued: 3 })], keys, NOW).entries,
      ...log.unsigned([foreignRecord('CS', 5, { sharesIssued: 10 })]).entries,
    ];
    const rule = new ValidityRule(AUTHORIZED, keys);
    expect(verdictsOf(entries, rule)).toEqual([...before, '8:certificate', '9:certificate', '10:head', '11:unsigned']);
    expect([rule.tail('CS'), rule.tail('PS')]).toEqual([
      { number: 4, sharesIssued: 9, outstanding: 9 },
      { number: 2, sharesIssued: 3, outstanding: 3 },
    ]);
  });
});
