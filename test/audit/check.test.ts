import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../src/actors/certificate.js';
import { formatTable, LogAudit, parseAcknowledged, type Acknowledged } from '../../src/audit/check.js';
import type { ShareClassConfig } from '../../src/actors/share-class-actor.js';
import type { LogEntry } from '../../src/log/reader.js';
import { encodeValue } from '../../src/log/record.js';
import { certificates } from '../support/certificates.js';

const CLASSES = [
  { code: 'CS', authorized: 1000 },
  { code: 'PS', authorized: 50 },
];

/** Audits a whole log held in memory, as the CLI does chunk by chunk. */
function auditLog(shareClasses: readonly ShareClassConfig[], log: Iterable<LogEntry>, acknowledged: Iterable<Acknowledged> = []) {
  const audit = new LogAudit(shareClasses, acknowledged);
  audit.add(log);
  return audit.report();
}

function entries(log: readonly Certificate[]): LogEntry[] {
  return log.map((certificate, offset) => ({ offset, key: certificate.class, value: encodeValue(certificate) }));
}

const messages = (log: readonly LogEntry[], acknowledged: Parameters<typeof auditLog>[2] = []) =>
  auditLog(CLASSES, log, acknowledged).violations.map((violation) => violation.message);

describe('log audit (pure checking logic)', () => {
  it('passes an interleaved, contiguous log and totals each class, including a class with no records', () => {
    const log = entries([...certificates('CS', 1, 3), ...certificates('PS', 1, 2, 5), ...certificates('CS', 4, 2)]);
    const report = auditLog([...CLASSES, { code: 'XS', authorized: 7 }], log);
    expect(report).toMatchObject({ ok: true, records: 7, violationCount: 0 });
    expect(report.classes).toEqual([
      { class: 'CS', certificates: 5, sharesIssued: 50, authorized: 1000, remaining: 950 },
      { class: 'PS', certificates: 2, sharesIssued: 10, authorized: 50, remaining: 40 },
      { class: 'XS', certificates: 0, sharesIssued: 0, authorized: 7, remaining: 7 },
    ]);
  });

  it('reports a gap once, naming the missing numbers, and checks on from there', () => {
    const log = certificates('CS', 1, 6);
    const withGap = [log[0]!, log[1]!, log[4]!, log[5]!].map((certificate, index) =>
      index < 2 ? certificate : { ...certificate, sharesIssued: certificate.sharesIssued - 20 },
    );
    expect(messages(entries(withGap))).toEqual(['CS-5: gap, 2 numbers missing after CS-2']);
  });

  it('reports a duplicate number even when its contents are identical', () => {
    const [first, second] = certificates('CS', 1, 2);
    expect(messages(entries([first!, second!, second!]))).toEqual([
      'CS-2: duplicate or out of order (after CS-2)',
      'CS-2: running total 20 is not 20 + 10 = 30',
    ]);
  });

  it('reports a running total that does not add up and a total above the authorized shares', () => {
    const log = certificates('PS', 1, 6);
    log[2] = { ...log[2]!, sharesIssued: 31 };
    const report = auditLog(CLASSES, entries(log));
    expect(report.ok).toBe(false);
    expect(report.violations.map((violation) => [violation.offset, violation.message])).toEqual([
      [2, 'PS-3: running total 31 is not 20 + 10 = 30'],
      [3, 'PS-4: running total 40 is not 31 + 10 = 41'],
      [5, 'PS-6: 60 shares issued, above the 50 authorized'],
    ]);
  });

  it('reports malformed records and classes that were never authorized, by offset', () => {
    const log: LogEntry[] = [
      { offset: 0, key: 'CS', value: '{"id":"CS-1","cla' },
      { offset: 1, key: 'CS', value: null },
      ...entries(certificates('ZZ', 1, 1)).map((entry) => ({ ...entry, offset: 2 })),
    ];
    const report = auditLog(CLASSES, log);
    expect(report.violations.map((violation) => violation.offset)).toEqual([0, 1, 2]);
    expect(report.violations[0]!.message).toMatch(/not JSON/);
    expect(report.violations[2]!.message).toBe('ZZ-1: class ZZ is not among the authorized share classes');
  });

  it('proves every acknowledged certificate is in the log with the same name and amount', () => {
    const log = entries(certificates('CS', 1, 3));
    expect(auditLog(CLASSES, log, [{ id: 'CS-1', name: 'Holder 1', amount: 10 }, { id: 'CS-3' }])).toMatchObject({
      ok: true,
      acknowledgedChecked: 2,
    });
    expect(
      messages(log, [{ id: 'CS-2', name: 'Someone else', amount: 10 }, { id: 'CS-3', name: 'Holder 3', amount: 11 }, { id: 'CS-4' }]),
    ).toEqual([
      'CS-2: acknowledged with name "Someone else", the log says "Holder 2"',
      'CS-3: acknowledged with amount 11, the log says 10',
      'CS-4 was acknowledged but is not in the log',
    ]);
  });

  it('keeps only the first violations but counts them all', () => {
    const report = auditLog(CLASSES, entries(certificates('CS', 2, 100).map((certificate) => ({ ...certificate, number: 1, id: 'CS-1' }))));
    expect(report.violations).toHaveLength(20);
    expect(report.violationCount).toBeGreaterThan(100);
  });
});

describe('acknowledged file and table', () => {
  it('reads bare IDs and 201 bodies, skipping blank and comment lines', () => {
    const text = '# from a load test\nCS-1\n\n{"id":"PS-2","class":"PS","name":"Ada","amount":3,"sharesIssued":4}\r\n';
    expect(parseAcknowledged(text)).toEqual([{ id: 'CS-1' }, { id: 'PS-2', name: 'Ada', amount: 3 }]);
  });

  it.each([
    ['a line that is no certificate ID', 'CS-1\nhello', /line 2: expected a certificate ID/],
    ['a torn JSON line', '{"id":"CS-1"', /line 1: not valid JSON/],
    ['a JSON line without an id', '{"name":"Ada"}', /line 1: expected a JSON object with a string "id"/],
  ])('refuses %s, naming the line', (_, text, message) => {
    expect(() => parseAcknowledged(text)).toThrow(message);
  });

  it('aligns the per-class table', () => {
    expect(formatTable([{ class: 'CS', certificates: 12, sharesIssued: 345, authorized: 2600000, remaining: 2599655 }])).toBe(
      ['class  certificates  shares issued  authorized  remaining', 'CS               12            345     2600000    2599655'].join('\n'),
    );
  });
});
