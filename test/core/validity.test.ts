import { describe, expect, it } from 'vitest';
import type { CertificateRecord } from '../../src/core/certificate.js';
import { ValidityRule, type VoidReason } from '../../src/core/validity.js';
import { foreignRecord } from '../support/fake-ledger.js';

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
    expect(rule.tail('CS')).toEqual({ number: 1, sharesIssued: 4 });
    expect(rule.tail('PS')).toEqual({ number: 1, sharesIssued: 1 });
    expect(rule.tail('XS')).toEqual({ number: 0, sharesIssued: 0 });
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
    expect(rule.tail('CS')).toEqual({ number: 2, sharesIssued: 2 });
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
