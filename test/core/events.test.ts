import { describe, expect, it } from 'vitest';
import { certificateId, certificateOf, type CertificateRecord } from '../../src/core/certificate.js';
import { rootFromPath, sha256Hex } from '../../src/core/merkle.js';
import { checkProof, leafHash } from '../../src/core/proof.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import type { EventRecord } from '../../src/core/events.js';
import { ValidityRule, type Verdict } from '../../src/core/validity.js';
import { newStoredKey } from '../../src/signing/key-file.js';
import { SignedLogBuilder, type Laid } from '../support/signed-log.js';
import { keysOf } from '../support/signing.js';

const CLASSES = [
  { code: 'CS', authorized: 100 },
  { code: 'PS', authorized: 10 },
];
const AT = '2026-03-01T10:00:00.000Z';

/** Issues certificates of a class from `number` on, each of `amounts`, continuing the running total `before`. */
function issued(code: string, number: number, amounts: readonly number[], before = 0, extra: Partial<CertificateRecord> = {}) {
  let total = before;
  return amounts.map((amount, index) => {
    total += amount;
    const record: CertificateRecord = {
      id: certificateId(code, number + index),
      class: code,
      number: number + index,
      name: `Holder ${number + index}`,
      amount,
      issuedAt: AT,
      sharesIssued: total,
      ...extra,
    };
    return record;
  });
}

/** An event's results: certificates continuing the class that name the event as their origin (the writer stamps its offset). */
function results(code: string, number: number, amounts: readonly number[], before: number): CertificateRecord[] {
  return issued(code, number, amounts, before, { origin: 0 });
}

function event(fields: Omit<EventRecord, 'class' | 'at'> & { class?: string }): EventRecord {
  return { class: 'CS', at: AT, ...fields };
}

/** Every verdict the rule reaches on the entries, with those `finish` reaches at the end of the read, as offset:kind. */
function verdictsOf(entries: readonly LoggedRecord[], rule: ValidityRule): string[] {
  const verdicts = [...entries.flatMap((entry) => rule.judge(entry)), ...rule.finish()];
  return verdicts.map((verdict) => `${verdict.offset}:${verdict.kind === 'void' ? verdict.reason : verdict.kind}`);
}

/** Lays the records out unsigned from offset 0 as a writer does, and judges them with a fresh rule. */
function judged(records: readonly Laid[]): { verdicts: string[]; rule: ValidityRule } {
  const rule = new ValidityRule(CLASSES);
  const entries = new SignedLogBuilder(CLASSES, keysOf()).unsigned(records).entries;
  return { verdicts: verdictsOf(entries, rule), rule };
}

describe('ValidityRule on events', () => {
  it('admits a transfer with its balance: the original cancelled, outstanding unchanged, the numbers continuing', () => {
    const { verdicts, rule } = judged([
      ...issued('CS', 1, [10]),
      event({ event: 'transfer', certificate: 'CS-1', quantity: 4, results: ['CS-2', 'CS-3'], balance: 'CS-3' }),
      ...results('CS', 2, [4, 6], 10),
      ...issued('CS', 4, [5], 20),
    ]);
    expect(verdicts).toEqual(['0:certificate', '1:event', '2:certificate', '3:certificate', '4:certificate']);
    expect(rule.tail('CS')).toEqual({ number: 4, sharesIssued: 25, outstanding: 15 });
    expect(rule.closure('CS-1')).toEqual({ status: 'cancelled', event: 1 });
    expect([rule.closure('CS-2'), rule.closure('CS-3')]).toEqual([undefined, undefined]);
  });

  it('retires the shares a partial cancellation takes: outstanding drops by its quantity, and the class may issue them again', () => {
    const { verdicts, rule } = judged([
      ...issued('PS', 1, [10]),
      event({ class: 'PS', event: 'cancellation', certificate: 'PS-1', quantity: 3, results: ['PS-2'], balance: 'PS-2' }),
      ...results('PS', 2, [7], 10),
      // 7 outstanding of 10 authorized: 3 fit again, a 4th does not.
      ...issued('PS', 3, [3], 17),
      ...issued('PS', 4, [1], 20),
    ]);
    expect(verdicts).toEqual(['0:certificate', '1:event', '2:certificate', '3:certificate', '4:over_authorized']);
    expect(rule.tail('PS')).toEqual({ number: 3, sharesIssued: 20, outstanding: 10 });
  });

  it('allows only the reissuance of a stopped certificate, and nothing on the certificate it supersedes', () => {
    const { verdicts, rule } = judged([
      ...issued('CS', 1, [10]),
      event({ event: 'stop', certificate: 'CS-1', reason: 'reported lost' }),
      event({ event: 'transfer', certificate: 'CS-1', quantity: 10, results: ['CS-2'] }),
      event({ event: 'cancellation', certificate: 'CS-1', quantity: 10, results: [] }),
      event({ event: 'stop', certificate: 'CS-1' }),
      event({ event: 'reissuance', certificate: 'CS-1', results: ['CS-2'] }),
      ...results('CS', 2, [10], 10),
      event({ event: 'cancellation', certificate: 'CS-1', quantity: 10, results: [] }),
      event({ event: 'reissuance', certificate: 'CS-1', results: ['CS-3'] }),
    ]);
    expect(verdicts).toEqual([
      '0:certificate',
      '1:event',
      '2:not_outstanding',
      '3:not_outstanding',
      '4:not_outstanding',
      '5:event',
      '6:certificate',
      '7:not_outstanding',
      '8:not_outstanding',
    ]);
    expect(rule.closure('CS-1')).toEqual({ status: 'superseded', event: 5 });
    // The stop moved no shares; the reissuance carried all of them.
    expect(rule.tail('CS')).toEqual({ number: 2, sharesIssued: 20, outstanding: 10 });
  });

  it('never cancels twice', () => {
    const cancel = event({ event: 'cancellation', certificate: 'CS-1', quantity: 10, results: [] });
    const { verdicts, rule } = judged([...issued('CS', 1, [10]), cancel, cancel]);
    expect(verdicts).toEqual(['0:certificate', '1:event', '2:not_outstanding']);
    expect(rule.tail('CS')).toEqual({ number: 1, sharesIssued: 10, outstanding: 0 });
  });

  it('voids as not_conserved results that do not carry the shares they must, and a quantity above the certificate', () => {
    const { verdicts, rule } = judged([
      ...issued('CS', 1, [10]),
      // 4 to the buyer and a balance of 5: one share lost.
      event({ event: 'transfer', certificate: 'CS-1', quantity: 4, results: ['CS-2', 'CS-3'], balance: 'CS-3' }),
      ...results('CS', 2, [4, 5], 10),
      event({ event: 'cancellation', certificate: 'CS-1', quantity: 11, results: [] }),
      // A reissuance that makes shares out of nothing.
      event({ event: 'reissuance', certificate: 'CS-1', results: ['CS-2'] }),
      ...results('CS', 2, [12], 10),
    ]);
    expect(verdicts).toEqual([
      '0:certificate',
      '1:not_conserved',
      '2:incomplete_event',
      '3:incomplete_event',
      '4:not_conserved',
      '5:not_conserved',
      '6:incomplete_event',
    ]);
    expect([rule.tail('CS'), rule.closure('CS-1')]).toEqual([{ number: 1, sharesIssued: 10, outstanding: 10 }, undefined]);
  });

  it('voids as incomplete_event an event whose results are missing or interrupted, and a result without its event', () => {
    const transfer = event({ event: 'transfer', certificate: 'CS-1', quantity: 4, results: ['CS-2', 'CS-3'], balance: 'CS-3' });
    const { verdicts, rule } = judged([
      ...issued('CS', 1, [10]),
      transfer,
      ...results('CS', 2, [4], 10),
      // An issuance where the balance should come: the event and its first result fall; CS-2 is free again.
      ...issued('CS', 2, [1], 10),
      // A result of no event.
      ...results('CS', 3, [1], 11).map((record) => ({ ...record, origin: 1 })),
      // Results out of order.
      transfer,
      ...results('CS', 4, [6, 4], 11).map((record, index) => ({ ...record, id: certificateId('CS', 3 + index), number: 3 + index })),
      // The end of the read before the results.
      transfer,
    ]);
    expect(verdicts).toEqual([
      '0:certificate',
      '1:incomplete_event',
      '2:incomplete_event',
      '3:certificate',
      '4:incomplete_event',
      '5:incomplete_event',
      '6:incomplete_event',
      '7:incomplete_event',
      '8:incomplete_event',
    ]);
    expect([rule.tail('CS'), rule.closure('CS-1'), rule.waiting]).toEqual([
      { number: 2, sharesIssued: 11, outstanding: 11 },
      undefined,
      false,
    ]);
  });

  it('voids an event on a certificate the log does not hold as unknown_certificate, even one a void record numbered', () => {
    const { verdicts } = judged([
      ...issued('CS', 1, [10]),
      ...issued('CS', 2, [200], 10),
      event({ event: 'stop', certificate: 'CS-2' }),
      event({ event: 'cancellation', certificate: 'CS-9', quantity: 1, results: [] }),
      event({ class: 'XS', event: 'stop', certificate: 'XS-1' }),
    ]);
    expect(verdicts).toEqual(['0:certificate', '1:over_authorized', '2:unknown_certificate', '3:unknown_certificate', '4:unknown_class']);
  });

  it('adjusts the authorized shares, never below the outstanding ones (over_authorized)', () => {
    const { verdicts, rule } = judged([
      ...issued('PS', 1, [8]),
      event({ class: 'PS', event: 'adjustment', authorized: 7, approvedOn: '2026-02-27' }),
      event({ class: 'PS', event: 'adjustment', authorized: 8, approvedOn: '2026-02-28' }),
      ...issued('PS', 2, [1], 8),
      event({ class: 'PS', event: 'adjustment', authorized: 20, approvedOn: '2026-03-01' }),
      ...issued('PS', 2, [12], 8),
    ]);
    expect(verdicts).toEqual(['0:certificate', '1:over_authorized', '2:event', '3:over_authorized', '4:event', '5:certificate']);
    expect([rule.authorizedOf('PS'), rule.tail('PS').outstanding]).toEqual([20, 20]);
  });

  it('defines a legend once (duplicate_legend), and voids a certificate bearing one not defined (unknown_legend)', () => {
    const legend = { id: 'rule-144', name: 'Rule 144', text: 'These shares have not been registered.' };
    const { verdicts, rule } = judged([
      ...issued('CS', 1, [10], 0, { terms: { legends: ['rule-144'] } }),
      event({ event: 'legend', legend }),
      event({ event: 'legend', legend: { ...legend, name: 'Again' } }),
      ...issued('CS', 1, [10], 0, { terms: { legends: ['rule-144'] } }),
      // A reissuance whose replacement bears a legend no one defined falls with it.
      event({ event: 'reissuance', certificate: 'CS-1', results: ['CS-2'] }),
      ...results('CS', 2, [10], 10).map((record) => ({ ...record, terms: { legends: ['other'] } })),
    ]);
    expect(verdicts).toEqual([
      '0:unknown_legend',
      '1:event',
      '2:duplicate_legend',
      '3:certificate',
      '4:incomplete_event',
      '5:incomplete_event',
    ]);
    expect([rule.hasLegend('rule-144'), rule.hasLegend('other'), rule.closure('CS-1')]).toEqual([true, false, undefined]);
  });
});

describe('ValidityRule on signed events', () => {
  const NOW = new Date('2026-06-01T12:00:00.000Z');
  const keys = keysOf(newStoredKey(new Date('2026-01-01T00:00:00.000Z')));
  const forger = keysOf(newStoredKey(new Date('2026-01-01T00:00:00.000Z')));
  const transfer = [
    event({ event: 'transfer', certificate: 'CS-1', quantity: 4, results: ['CS-2', 'CS-3'], balance: 'CS-3' }),
    ...results('CS', 2, [4, 6], 10),
  ];

  function signedLog(): { log: SignedLogBuilder; entries: LoggedRecord[] } {
    const log = new SignedLogBuilder(CLASSES, keys);
    return { log, entries: log.signed(issued('CS', 1, [10]), keys, NOW).entries };
  }

  it('admits a signed event with its results at the seal, each with a proof from that seal', () => {
    const { log, entries } = signedLog();
    const write = log.signed(transfer, keys, NOW).entries;
    const rule = new ValidityRule(CLASSES, keys);
    for (const entry of entries) rule.judge(entry);
    for (const entry of write.slice(0, -1)) expect(rule.judge(entry)).toEqual([]);
    const verdicts: Verdict[] = rule.judge(write.at(-1)!);
    expect(verdicts.map((verdict) => `${verdict.offset}:${verdict.kind}`)).toEqual(['2:event', '3:certificate', '4:certificate', '5:head']);
    for (const verdict of verdicts.slice(0, 3)) {
      if (verdict.kind !== 'event' && verdict.kind !== 'certificate') throw new Error('Expected an event or a certificate');
      const { proof } = verdict;
      expect(proof).toMatchObject({ index: verdict.offset - 2, seal: { offset: 5, head: { first: 2, count: 3 } } });
      // The results check as any certificate's proof; the event's leaf commits to its bytes in the log.
      if (verdict.kind === 'certificate') expect(checkProof(certificateOf(verdict.record), proof!, keys)).toBe('ok');
      else {
        const { value } = write[0] as { value: string };
        expect(proof!.valueHash).toBe(sha256Hex(value));
        expect(rootFromPath(leafHash(proof!.valueHash, proof!.valueHash), proof!.index, 3, proof!.path)).toBe(proof!.seal.head.root);
      }
    }
    expect(rule.signedHead!.head.classes).toEqual({ CS: { number: 3, sharesIssued: 20 } });
    expect([rule.closure('CS-1'), rule.tail('CS').outstanding]).toEqual([{ status: 'cancelled', event: 2 }, 10]);
    // The log builder's own state judged it the same way.
    expect(log.state.closure('CS-1')).toEqual({ status: 'cancelled', event: 2 });
  });

  it('voids a forged signed event: a forger key (untrusted_key), an altered result (bad_signature), or no seal after signed records', () => {
    const forged = signedLog();
    const rule = () => new ValidityRule(CLASSES, keys);
    expect(verdictsOf([...forged.entries, ...forged.log.signed(transfer, forger, NOW).entries], rule())).toEqual([
      '0:certificate',
      '1:head',
      '2:untrusted_key',
      '3:untrusted_key',
      '4:untrusted_key',
      '5:untrusted_key',
    ]);
    const altered = signedLog();
    const honest = new SignedLogBuilder(CLASSES, keys);
    honest.signed(issued('CS', 1, [10]), keys, NOW);
    const tampered = honest
      .signed(transfer, keys, NOW)
      .encoded.map((record, index) => (index === 1 ? { ...record, value: record.value.replace('Holder 2', 'Mallory 2') } : record));
    expect(verdictsOf([...altered.entries, ...altered.log.land(tampered).entries], rule())).toEqual([
      '0:certificate',
      '1:head',
      '2:bad_signature',
      '3:bad_signature',
      '4:bad_signature',
      '5:bad_signature',
    ]);
    const unsigned = signedLog();
    expect(verdictsOf([...unsigned.entries, ...unsigned.log.unsigned(transfer).entries], rule())).toEqual([
      '0:certificate',
      '1:head',
      '2:unsigned',
      '3:unsigned',
      '4:unsigned',
    ]);
  });

  it('voids an event and results split across a seal: results in a signed write stand or fall with its seal', () => {
    // Before any valid seal: an unsigned event, its results in a write under a forger's seal.
    const log = new SignedLogBuilder(CLASSES, keys);
    const entries = [
      ...log.unsigned([...issued('CS', 1, [10]), transfer[0]!]).entries,
      ...log.signed(
        transfer.slice(1).map((record) => ({ ...record, origin: 1 })),
        forger,
        NOW,
      ).entries,
    ];
    expect(verdictsOf(entries, new ValidityRule(CLASSES, keys))).toEqual([
      '0:certificate',
      '1:incomplete_event',
      '2:incomplete_event',
      '3:incomplete_event',
      // Its counts name results that are not certificates.
      '4:broken_chain',
    ]);
  });
});
