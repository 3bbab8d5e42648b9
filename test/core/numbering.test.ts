import { describe, expect, it } from 'vitest';
import { certificateId, type CertificateRecord, type IssueRequest } from '../../src/core/certificate.js';
import type { EventRecord, EventRequest } from '../../src/core/events.js';
import { numberBatch, type ClassRequest } from '../../src/core/numbering.js';
import { SignedLogBuilder, type Laid } from '../support/signed-log.js';
import { keysOf } from '../support/signing.js';

const CS = { code: 'CS', authorized: 100 };
const NOW = new Date('2026-03-02T09:00:00.000Z');
const WHO = { principal: 'user:alice', requestId: 'req-1' };
const LEGEND = { id: 'rule-144', name: 'Rule 144', text: 'Not registered under the Securities Act.' };

/** A log holding CS-1 (Ann, 10, bearing the legend), CS-2 (Bo, 20), CS-3 (Cy, 5, stopped) and CS-4 (Di, 5, cancelled). */
function logWith(): SignedLogBuilder {
  const log = new SignedLogBuilder([CS], keysOf());
  const at = '2026-03-01T00:00:00.000Z';
  const certificate = (number: number, name: string, amount: number, sharesIssued: number, extra = {}): CertificateRecord => ({
    id: certificateId('CS', number),
    class: 'CS',
    number,
    name,
    amount,
    issuedAt: at,
    sharesIssued,
    ...extra,
  });
  const records: Laid[] = [
    { event: 'legend', class: 'CS', at, legend: LEGEND },
    certificate(1, 'Ann', 10, 10, { terms: { holder: 'sh-ann', legends: ['rule-144'] } }),
    certificate(2, 'Bo', 20, 30),
    certificate(3, 'Cy', 5, 35),
    certificate(4, 'Di', 5, 40),
    { event: 'stop', class: 'CS', at, certificate: 'CS-3' },
    { event: 'cancellation', class: 'CS', at, certificate: 'CS-4', quantity: 5, results: [] },
  ];
  log.unsigned(records);
  expect(log.state.voidRecords).toBe(0);
  return log;
}

const issue = (name: string, amount: number, extra: Partial<IssueRequest> = {}): IssueRequest => ({
  class: 'CS',
  name,
  amount,
  ...WHO,
  ...extra,
});
const act = (fields: Omit<EventRequest, 'class' | 'principal' | 'requestId'>): EventRequest => ({ class: 'CS', ...WHO, ...fields });

function numbered(log: SignedLogBuilder, batch: readonly ClassRequest[]) {
  return numberBatch(log.state, CS, batch, (position) => `w-${position}`, NOW);
}

describe('numberBatch with events', () => {
  it('refuses each event the rule would void with its own code, and the refused take no number', () => {
    const log = logWith();
    const result = numbered(log, [
      act({ event: 'cancellation', certificate: 'CS-9' }),
      issue('Ed', 1),
      act({ event: 'transfer', certificate: 'CS-2', transferees: [{ name: 'Fay', amount: 21 }] }),
      act({ event: 'transfer', certificate: 'CS-4', transferees: [{ name: 'Fay', amount: 1 }] }),
      act({ event: 'cancellation', certificate: 'CS-3' }),
      act({ event: 'legend', legend: LEGEND }),
      // 36 outstanding with Ed's share.
      act({ event: 'adjustment', authorized: 35, approvedOn: '2026-03-01' }),
      act({ event: 'reissuance', certificate: 'CS-2', terms: { legends: ['no-such'] } }),
      issue('Gus', 1, { terms: { legends: ['no-such'] } }),
      issue('Hal', 2),
    ]);
    expect(result.rejected.map(({ position, error }) => [position, error.code])).toEqual([
      [0, 'unknown_certificate'],
      [2, 'shares_not_conserved'],
      [3, 'certificate_not_outstanding'],
      [4, 'certificate_stopped'],
      [5, 'duplicate_legend'],
      [6, 'below_outstanding'],
      [7, 'unknown_legend'],
      [8, 'unknown_legend'],
    ]);
    expect(result.records.map((record) => ('event' in record ? record.event : record.id))).toEqual(['CS-5', 'CS-6']);
    expect(result.positions).toEqual([1, 9]);
    // What was numbered lands valid, and the class continues without a gap.
    log.unsigned(result.records);
    expect([log.state.voidRecords, log.state.index('CS')!.count]).toEqual([0, 6]);
  });

  it("sends a transfer's balance back to the holder with the certificate's terms, after the buyers' certificates", () => {
    const log = logWith();
    const { records, rejected } = numbered(log, [
      act({ event: 'transfer', certificate: 'CS-1', transferees: [{ name: 'Fay', amount: 4, terms: { holder: 'sh-fay' } }] }),
    ]);
    expect(rejected).toEqual([]);
    const [event, bought, balance] = records as [EventRecord, CertificateRecord, CertificateRecord];
    expect(event).toMatchObject({ event: 'transfer', certificate: 'CS-1', quantity: 4, results: ['CS-5', 'CS-6'], balance: 'CS-6' });
    expect(bought).toMatchObject({ id: 'CS-5', name: 'Fay', amount: 4, sharesIssued: 44, terms: { holder: 'sh-fay' } });
    expect(balance).toMatchObject({
      id: 'CS-6',
      name: 'Ann',
      amount: 6,
      sharesIssued: 50,
      terms: { holder: 'sh-ann', legends: ['rule-144'] },
    });
    log.unsigned(records);
    expect(log.state.voidRecords).toBe(0);
    expect(log.state.closure('CS-1')).toMatchObject({ status: 'cancelled' });
    // A transfer retires no share; a stopped certificate's stay outstanding.
    expect(log.state.outstandingOf('CS')).toBe(35);
  });

  it('judges a batch on what its earlier requests left: a second event on one certificate is refused, shares freed are issued again', () => {
    const log = logWith();
    const result = numbered(log, [
      act({ event: 'reissuance', certificate: 'CS-3', reason: 'lost' }),
      act({ event: 'transfer', certificate: 'CS-2', transferees: [{ name: 'Fay', amount: 20 }] }),
      act({ event: 'cancellation', certificate: 'CS-2', quantity: 1 }),
      act({ event: 'cancellation', certificate: 'CS-1', quantity: 10 }),
      act({ event: 'adjustment', authorized: 30, approvedOn: '2026-03-02' }),
      // 25 outstanding of 30 after the adjustment: 5 fit, 6 do not.
      issue('Ivy', 6),
      issue('Jo', 5),
    ]);
    expect(result.rejected.map(({ position, error }) => [position, error.code])).toEqual([[2, 'certificate_not_outstanding']]);
    expect(result.refused).toEqual([{ position: 5, remaining: 5 }]);
    expect(result.records.map((record) => ('event' in record ? `${record.event} ${record.certificate ?? ''}` : record.id))).toEqual([
      'reissuance CS-3',
      'CS-5',
      'transfer CS-2',
      'CS-6',
      'cancellation CS-1',
      'adjustment ',
      'CS-7',
    ]);
    log.unsigned(result.records);
    expect([log.state.voidRecords, log.state.outstandingOf('CS'), log.state.authorizedOf('CS')]).toEqual([0, 30, 30]);
  });
});
