import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import type { Certificate, CertificateRecord } from '../../src/core/certificate.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import type { ShareClassConfig } from '../../src/core/share-class.js';
import { formatReport, formatTable, LogAudit, parseAcknowledged, type Acknowledged, type AuditReport } from '../../src/audit/check.js';
import { readRecord } from '../../src/core/record-format.js';
import { headHash, headText, type SealVerifier } from '../../src/core/seal.js';
import { newStoredKey, signingKeysOf } from '../../src/signing/key-file.js';
import { publicKeySet } from '../../src/signing/public-keys.js';
import { SigningKeys } from '../../src/signing/signing-keys.js';
import { certificates } from '../support/certificates.js';
import { SignedLogBuilder } from '../support/signed-log.js';
import { signingKeys } from '../support/signing.js';

const CLASSES: readonly ShareClassConfig[] = [
  { code: 'CS', authorized: 1000 },
  { code: 'PS', authorized: 50 },
];

/** Audits a whole log held in memory, as the CLI does chunk by chunk. */
function auditLog(log: Iterable<LoggedRecord>, acknowledged: Iterable<Acknowledged> = [], shareClasses = CLASSES): AuditReport {
  const audit = new LogAudit(shareClasses, DEFAULTS.keyWindow, acknowledged);
  audit.add(log);
  return audit.report();
}

/** Certificates as one correct writer lands them: each at the offset it states, from `from` on. */
function landed(records: readonly CertificateRecord[], from = 0): LoggedRecord[] {
  return records.map((record, index) => ({ offset: from + index, record: { ...record, offset: from + index } }));
}

/** Certificates written before records stated offsets. */
function legacy(records: readonly Certificate[], from = 0): LoggedRecord[] {
  return records.map((record, index) => ({ offset: from + index, record }));
}

/** A record written for offset `stated` that landed at `offset`. */
function misplaced(record: Certificate, offset: number, stated: number): LoggedRecord {
  return { offset, record: { ...record, offset: stated } };
}

const cs = certificates('CS', 1, 3);
const [cs1, cs2, cs3] = [cs[0]!, cs[1]!, cs[2]!];

describe('log audit: the service rule applied to a whole log', () => {
  it('passes a valid interleaved chain and totals each class, including a class with no records', () => {
    const log = landed([...certificates('CS', 1, 3), ...certificates('PS', 1, 2, 5), ...certificates('CS', 4, 2)]);
    const report = auditLog(log, [], [...CLASSES, { code: 'XS', authorized: 7 }]);
    expect(report).toMatchObject({ ok: true, records: 7, violations: [], violationCount: 0 });
    expect(report.voidRecords).toEqual({ total: 0, byReason: {}, first: [] });
    expect(report.classes).toEqual([
      { class: 'CS', certificates: 5, sharesIssued: 50, outstanding: 50, authorized: 1000, remaining: 950 },
      { class: 'PS', certificates: 2, sharesIssued: 10, outstanding: 10, authorized: 50, remaining: 40 },
      { class: 'XS', certificates: 0, sharesIssued: 0, outstanding: 0, authorized: 7, remaining: 7 },
    ]);
  });

  it('lists misplaced duplicates apart as void records and passes: a stale batch is no certificate', () => {
    // A stale writer that had read an empty log wrote its CS-1 and CS-2 for offsets 0 and 1; they landed at 2 and 3.
    const log = [...landed([cs1, cs2]), misplaced({ ...cs1, name: 'Stale' }, 2, 0), misplaced(cs2, 3, 1), ...landed([cs3], 4)];
    const report = auditLog(log);
    expect(report).toMatchObject({ ok: true, records: 5, violations: [] });
    expect(report.classes[0]).toMatchObject({ class: 'CS', certificates: 3, sharesIssued: 30 });
    expect(report.voidRecords).toEqual({
      total: 2,
      byReason: { misplaced: 2 },
      first: [
        { offset: 2, reason: 'misplaced', message: 'CS-1 at offset 2 was written for offset 0: a stale, late or retried write' },
        { offset: 3, reason: 'misplaced', message: 'CS-2 at offset 3 was written for offset 1: a stale, late or retried write' },
      ],
    });
  });

  it.each([
    ['a gap (out_of_sequence)', [...landed([cs1]), ...landed([cs3], 1)], 1, 'CS-3 at offset 1 does not follow CS-1 (out_of_sequence)'],
    [
      'a repeat at its stated offset (out_of_sequence)',
      [...landed([cs1]), ...landed([cs1], 1)],
      1,
      'CS-1 at offset 1 does not follow CS-1 (out_of_sequence)',
    ],
    [
      'a wrong running total (wrong_total)',
      landed([cs1, { ...cs2, sharesIssued: 31 }]),
      1,
      'CS-2 at offset 1: running total 31 is not 10 + 10 (wrong_total)',
    ],
    [
      'shares above the authorized (over_authorized)',
      landed(certificates('PS', 1, 6)),
      5,
      'PS-6 at offset 5: 60 shares outstanding, above the 50 authorized (over_authorized)',
    ],
    [
      'an undecodable record (malformed)',
      [...landed([cs1]), { offset: 1, malformed: 'Malformed certificate record: value is not JSON: {"id"' }],
      1,
      'offset 1: Malformed certificate record: value is not JSON: {"id" (malformed)',
    ],
    [
      'a class never configured (unknown_class)',
      landed(certificates('ZZ', 1, 1)),
      0,
      'ZZ-1 at offset 0: class ZZ is not configured (unknown_class)',
    ],
  ] as const)('fails on %s with the rule’s message, naming the offset and the reason', (_, log, offset, message) => {
    const report = auditLog(log);
    expect(report).toMatchObject({ ok: false, violationCount: 1, violations: [{ offset, message }] });
    expect(report.violations[0]!.message).toContain(`offset ${offset}`);
    expect(report.voidRecords.total).toBe(0);
  });

  it('does not let a violating record advance its class: the record that does continue it is a certificate', () => {
    const report = auditLog([...landed([cs1]), ...landed([cs3], 1), ...landed([cs2, cs3], 2)]);
    expect(report.violations).toEqual([{ offset: 1, message: 'CS-3 at offset 1 does not follow CS-1 (out_of_sequence)' }]);
    expect(report.classes[0]).toMatchObject({ certificates: 3, sharesIssued: 30 });
  });

  it('judges records handed over in several chunks as one log', () => {
    const audit = new LogAudit(CLASSES, DEFAULTS.keyWindow, [{ id: 'CS-3' }]);
    audit.add(landed([cs1, cs2]));
    audit.add([misplaced(cs2, 2, 1)]);
    audit.add(landed([cs3], 3));
    expect(audit.report()).toMatchObject({ ok: true, records: 4, voidRecords: { total: 1 }, classes: [{ certificates: 3 }, {}] });
  });

  it('keeps only the first violations and void records, but counts them all', () => {
    const violating = auditLog(landed(certificates('CS', 2, 100)));
    expect(violating.violations).toHaveLength(20);
    expect(violating.violationCount).toBe(100);

    const stale = Array.from({ length: 30 }, (_, index) => misplaced(cs1, index + 1, 0));
    const voided = auditLog([...landed([cs1]), ...stale]);
    expect(voided.ok).toBe(true);
    expect(voided.voidRecords.total).toBe(30);
    expect(voided.voidRecords.first).toHaveLength(20);
  });
});

describe('log audit: acknowledged certificates', () => {
  const log = landed(cs);

  it('passes when every acknowledged id is a certificate with the acknowledged name and amount', () => {
    expect(auditLog(log, [{ id: 'CS-1', name: 'Holder 1', amount: 10 }, { id: 'CS-3' }])).toMatchObject({
      ok: true,
      acknowledgedChecked: 2,
    });
  });

  it('fails an acknowledged id that is not in the log', () => {
    expect(auditLog(log, [{ id: 'CS-4' }]).violations).toEqual([{ message: 'CS-4 was acknowledged but is not in the log' }]);
  });

  it('fails an acknowledged certificate whose name or amount differs from the log, naming the offset', () => {
    const report = auditLog(log, [
      { id: 'CS-2', name: 'Someone else', amount: 10 },
      { id: 'CS-3', name: 'Holder 3', amount: 11 },
    ]);
    expect(report.violations).toEqual([
      { offset: 1, message: 'CS-2 at offset 1: acknowledged with name "Someone else", the log says "Holder 2"' },
      { offset: 2, message: 'CS-3 at offset 2: acknowledged with amount 11, the log says 10' },
    ]);
  });

  it('fails an acknowledged id the log holds only as a void record, naming its offset and reason', () => {
    const stale = auditLog([...landed(certificates('PS', 1, 1)), misplaced(cs1, 1, 0)], [{ id: 'CS-1' }]);
    expect(stale.voidRecords.total).toBe(1);
    expect(stale.violations).toEqual([
      { offset: 1, message: 'CS-1 was acknowledged but the log holds it only as a void record at offset 1 (misplaced)' },
    ]);

    const gapped = auditLog([...landed([cs1]), ...landed([cs3], 1)], [{ id: 'CS-3' }]);
    expect(gapped.violations.map((violation) => violation.message)).toEqual([
      'CS-3 at offset 1 does not follow CS-1 (out_of_sequence)',
      'CS-3 was acknowledged but the log holds it only as a void record at offset 1 (out_of_sequence)',
    ]);
  });

  it('passes an acknowledged id whose void duplicate sits before or after its certificate, checked against the certificate', () => {
    const ack = [{ id: 'CS-1', name: 'Holder 1', amount: 10 }];
    const before = [...landed(certificates('PS', 1, 1)), misplaced({ ...cs1, name: 'Stale' }, 1, 0), ...landed([cs1], 2)];
    const after = [...landed([cs1]), misplaced({ ...cs1, name: 'Retried' }, 1, 0)];
    expect(auditLog(before, ack)).toMatchObject({ ok: true, voidRecords: { total: 1 } });
    expect(auditLog(after, ack)).toMatchObject({ ok: true, voidRecords: { total: 1 } });
  });

  it('fails an id acknowledged twice with different contents', () => {
    const report = auditLog(log, [
      { id: 'CS-1', amount: 10 },
      { id: 'CS-1', amount: 20 },
    ]);
    expect(report.violations[0]).toEqual({ message: 'CS-1 was acknowledged twice with different contents' });
  });
});

describe('log audit: topics written before records stated offsets', () => {
  it('passes a legacy-only topic, judged by continuation alone', () => {
    const report = auditLog(legacy([...cs, ...certificates('PS', 1, 2)]), [{ id: 'PS-2' }]);
    expect(report).toMatchObject({ ok: true, violations: [], voidRecords: { total: 0 } });
    expect(report.classes.map((row) => row.certificates)).toEqual([3, 2]);
  });

  it('still fails a legacy topic that breaks continuation', () => {
    expect(auditLog(legacy([cs1, cs3])).violations).toEqual([
      { offset: 1, message: 'CS-3 at offset 1 does not follow CS-1 (out_of_sequence)' },
    ]);
  });

  it('passes legacy records followed by records that state offsets', () => {
    expect(auditLog([...legacy([cs1, cs2]), ...landed([cs3], 2)])).toMatchObject({ ok: true, classes: [{ certificates: 3 }, {}] });
  });

  it('fails a legacy record written after records that state offsets: an old instance is still writing', () => {
    const report = auditLog([...landed([cs1, cs2]), ...legacy([cs3], 2)]);
    expect(report).toMatchObject({
      ok: false,
      violations: [
        {
          offset: 2,
          message: 'CS-3 at offset 2 states no offset, after records that do: an old instance is still writing (legacy_after_upgrade)',
        },
      ],
    });
    expect(report.classes[0]).toMatchObject({ certificates: 2 });
  });
});

describe('human output', () => {
  it('shows the shares outstanding per class and the valid events by type, a void event not among them', () => {
    const at = '2026-03-01T00:00:00.000Z';
    const log = new SignedLogBuilder(CLASSES, signingKeys()).unsigned([
      ...certificates('CS', 1, 3),
      { event: 'stop', class: 'CS', at, certificate: 'CS-2' },
      { event: 'cancellation', class: 'CS', at, certificate: 'CS-1', quantity: 4, results: ['CS-4'], balance: 'CS-4' },
      { ...certificates('CS', 4, 1, 6)[0]!, sharesIssued: 36, origin: 0 },
      { event: 'cancellation', class: 'CS', at, certificate: 'CS-1', quantity: 6, results: [] },
      { event: 'adjustment', class: 'PS', at, authorized: 40, approvedOn: '2026-02-28' },
    ]).entries;
    const report = auditLog(log);
    expect(report.events).toEqual({ stop: 1, cancellation: 1, adjustment: 1 });
    expect(report.classes).toEqual([
      { class: 'CS', certificates: 4, sharesIssued: 36, outstanding: 26, authorized: 1000, remaining: 974 },
      { class: 'PS', certificates: 0, sharesIssued: 0, outstanding: 0, authorized: 40, remaining: 40 },
    ]);
    expect(formatReport(report).split('\n').slice(0, 4)).toEqual([
      'class  certificates  shares issued  outstanding  authorized  remaining',
      'CS                4             36           26        1000        974',
      'PS                0              0            0          40         40',
      'events: 3 (cancellation: 1, stop: 1, adjustment: 1)',
    ]);
    expect(report.violations.map(({ message }) => message)).toEqual([
      expect.stringMatching(/^cancellation of CS-1 at offset 6 acts on CS-1, which is cancelled .*\(not_outstanding\)$/),
    ]);
    // Without events, no events line.
    expect(formatReport(auditLog(landed([cs1])))).not.toContain('events');
  });

  it('prints void records apart with their reasons and passes', () => {
    const text = formatReport(auditLog([...landed([cs1]), misplaced(cs1, 1, 0)], [{ id: 'CS-1' }]), { acknowledgedFile: true });
    expect(text.split('\n').slice(3)).toEqual([
      'unsigned log: no write signed by a trusted key',
      'acknowledged certificates checked: 1',
      'void records: 1 (misplaced: 1) — written by stale or late writers, never acknowledged; not certificates',
      '  CS-1 at offset 1 was written for offset 0: a stale, late or retried write',
      'OK: numbering, running totals and authorized limits hold',
    ]);
  });

  it('prints no void line for a log without void records, nor the acknowledged count without a file', () => {
    expect(
      formatReport(auditLog(landed([cs1])))
        .split('\n')
        .slice(3),
    ).toEqual(['unsigned log: no write signed by a trusted key', 'OK: numbering, running totals and authorized limits hold']);
  });

  it('prints FAILED with each violation once, saying how many more there are', () => {
    const text = formatReport(auditLog(landed(certificates('CS', 2, 21))));
    expect(text).toContain('FAILED: 21 violations:\n  CS-2 at offset 0 does not follow CS-0 (out_of_sequence)\n');
    expect(text).not.toContain('offset 0: CS-2');
    expect(text.endsWith('  CS-21 at offset 19 does not follow CS-0 (out_of_sequence)\n  … and 1 more')).toBe(true);
  });

  it('aligns the per-class table', () => {
    expect(
      formatTable([{ class: 'CS', certificates: 12, sharesIssued: 345, outstanding: 345, authorized: 2600000, remaining: 2599655 }]),
    ).toBe(
      [
        'class  certificates  shares issued  outstanding  authorized  remaining',
        'CS               12            345          345     2600000    2599655',
      ].join('\n'),
    );
  });
});

describe('acknowledged file', () => {
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
});

describe('log audit: idempotency keys', () => {
  // CS-1 and CS-3 carry one key, issued two seconds apart; CS-2 carries another.
  const keyed = landed([
    { ...cs1, idempotencyKey: 'order-7' },
    { ...cs2, idempotencyKey: 'order-8' },
    { ...cs3, idempotencyKey: 'order-7' },
  ]);

  it('fails a second certificate for a key the service still remembered: one request, two certificates', () => {
    expect(auditLog(keyed).violations).toEqual([
      {
        offset: 2,
        message: 'CS-3 at offset 2 was issued for Idempotency-Key "order-7", which CS-1 already answered: one request, two certificates',
      },
    ]);
  });

  it('passes a key reused after the service had forgotten it, by age or by count, as the service would issue it anew', () => {
    const judge = (keyWindow: { windowMs: number; maxKeys: number }): AuditReport => {
      const audit = new LogAudit(CLASSES, keyWindow);
      audit.add(keyed);
      return audit.report();
    };
    expect(judge({ windowMs: 1000, maxKeys: 10 })).toMatchObject({ ok: true, violations: [] });
    expect(judge({ windowMs: 60_000, maxKeys: 1 })).toMatchObject({ ok: true, violations: [] });
    expect(judge({ windowMs: 60_000, maxKeys: 2 }).ok).toBe(false);
  });
});

describe('log audit: who asked (principal and request id)', () => {
  const by = (principal: string, requestId: string) => ({ principal, requestId });
  // CS-1 predates principals; CS-2 and CS-3 come from two principals using the same key.
  const log = landed([
    { ...cs1, idempotencyKey: 'order-7' },
    { ...cs2, idempotencyKey: 'order-7', ...by('key:alice', 'r-2') },
    { ...cs3, idempotencyKey: 'order-7', ...by('oidc:https://id.example#bob', 'r-3') },
  ]);

  it('passes one key used by two principals and by a record without one: each is its own scope', () => {
    expect(auditLog(log)).toMatchObject({ ok: true, violations: [] });
  });

  it('still fails a second certificate for a key in the same scope: the same principal, or two records without one', () => {
    const again = landed([
      ...log.map(({ record }) => record!),
      { ...certificates('CS', 4, 1)[0]!, idempotencyKey: 'order-7', ...by('key:alice', 'r-4') },
    ]);
    expect(auditLog(again).violations).toEqual([
      {
        offset: 3,
        message: 'CS-4 at offset 3 was issued for Idempotency-Key "order-7", which CS-2 already answered: one request, two certificates',
      },
    ]);
    const legacyTwice = landed([
      { ...cs1, idempotencyKey: 'order-7' },
      { ...cs2, idempotencyKey: 'order-7' },
    ]);
    expect(auditLog(legacyTwice).ok).toBe(false);
  });

  it('counts certificates and shares by principal, what predates principals as unknown and last; void records count for no one', () => {
    const withVoid = [...log, misplaced({ ...certificates('CS', 4, 1)[0]!, ...by('key:alice', 'r-9') } as Certificate, 3, 9)];
    expect(auditLog(withVoid).principals).toEqual([
      { principal: 'key:alice', certificates: 1, shares: 10 },
      { principal: 'oidc:https://id.example#bob', certificates: 1, shares: 10 },
      { principal: 'unknown', certificates: 1, shares: 10 },
    ]);
  });

  it('prints the by-principal table between the class table and the verdict only when asked', () => {
    const report = auditLog(log);
    expect(formatReport(report)).not.toContain('principal');
    expect(formatReport(report, { byPrincipal: true }).split('\n').slice(3, 9)).toEqual([
      '',
      'principal                    certificates  shares',
      'key:alice                               1      10',
      'oidc:https://id.example#bob             1      10',
      'unknown                                 1      10',
      '',
    ]);
  });
});

describe('log audit: signatures', () => {
  const KEYS = signingKeys();
  const kid = KEYS.publicSet().keys[0]!.kid;
  /** A forger's key, under a kid of its own or under the company's. */
  const forgerKey = (id?: string): SigningKeys => {
    const stored = newStoredKey(new Date(Date.now() - 60_000));
    return new SigningKeys(signingKeysOf([{ ...stored, kid: id ?? stored.kid }], 'forger'));
  };
  const [one, two, three, four] = certificates('CS', 1, 4) as [Certificate, Certificate, Certificate, Certificate];

  /** Within the test key's validity (from a minute before the process started); the writes a second apart. */
  const SIGNED_AT = Date.now() - 20_000;
  /** A legacy certificate, then two signed writes: CS-2 and CS-3, then PS-1. */
  function signedLog(): { builder: SignedLogBuilder; log: LoggedRecord[] } {
    const builder = new SignedLogBuilder(CLASSES, KEYS);
    const log = [
      ...builder.unsigned([one]).entries,
      ...builder.signed([two, three], KEYS, new Date(SIGNED_AT)).entries,
      ...builder.signed(certificates('PS', 1, 1), KEYS, new Date(SIGNED_AT + 1000)).entries,
    ];
    return { builder, log };
  }

  function judged(log: readonly LoggedRecord[], verifier: SealVerifier = KEYS): AuditReport {
    const audit = new LogAudit(CLASSES, DEFAULTS.keyWindow, [], { verifier });
    audit.add(log);
    return audit.report();
  }

  const messages = (report: AuditReport): string[] => report.violations.map(({ message }) => message);

  it('passes a signed log, reporting its newest head, the keys that signed and the records from before signing', () => {
    const { builder, log } = signedLog();
    const report = judged(log);
    expect(report).toMatchObject({ ok: true, violationCount: 0 });
    expect(report.signing).toEqual({
      writes: 2,
      byKey: [{ key: kid, writes: 2 }],
      firstSigned: { offset: 1, unsignedBefore: 1 },
      newest: builder.state.head,
    });
    const { hash, head } = builder.state.head!;
    expect(formatReport(report).split('\n').slice(3)).toEqual([
      'signed log: 2 signed writes from offset 1 on; the 1 record before, written before signing, judged by numbering alone',
      `  key ${kid}: 2 writes`,
      `newest signed head: offset 5, hash ${hash}, signed at ${head.at} by key ${kid}`,
      'OK: numbering, running totals, authorized limits and signatures hold',
    ]);
  });

  it('fails every signed write, naming offsets and reasons, when audited without the key that signed it', () => {
    const { log } = signedLog();
    const firstHead = headHash(headText(log[3]!.seal!.head));
    const report = judged(log, forgerKey());
    expect(report).toMatchObject({ ok: false, violationCount: 5, signing: { writes: 0, byKey: [] } });
    expect(messages(report)).toEqual([
      'CS-2 at offset 1 is signed by the seal at offset 3, which is void (untrusted_key)',
      'CS-3 at offset 2 is signed by the seal at offset 3, which is void (untrusted_key)',
      `seal at offset 3: key ${kid} is not a trusted signing key (untrusted_key)`,
      'PS-1 at offset 4 is signed by the seal at offset 5, which is void (broken_chain)',
      `seal at offset 5: it follows head ${firstHead}, not the previous valid head ${'0'.repeat(64)} (broken_chain)`,
    ]);
    expect(formatReport(report)).toContain('unsigned log: no write signed by a trusted key');
  });

  it('fails a write signed after its key’s retirement, naming the offset and reason', () => {
    const { log } = signedLog();
    const at = log[5]!.seal!.head.at;
    const jwk = KEYS.publicSet().keys[0]!;
    const retired = publicKeySet(JSON.stringify({ keys: [{ ...jwk, retiredAt: at }] }), 'jwks.json');
    expect(messages(judged(log, retired))).toEqual([
      'PS-1 at offset 4 is signed by the seal at offset 5, which is void (retired_key)',
      `seal at offset 5: key ${kid} may not sign at ${at} (retired_key)`,
    ]);
  });

  it('fails a forger’s perfect next records, unsigned or signed by a key of its own, and the next real write takes their number', () => {
    const { builder, log } = signedLog();
    // Each is what a correct writer would write next (offset, number, total, even the seal), without the company's key.
    const forged = [
      ...builder.unsigned([{ ...four, name: 'Forger' }]).entries,
      ...builder.signed([{ ...four, name: 'Forger' }], forgerKey()).entries,
      ...builder.signed([{ ...four, name: 'Forger' }], forgerKey(kid)).entries,
    ];
    const real = builder.signed([four], KEYS).entries;
    const report = judged([...log, ...forged, ...real]);
    expect(messages(report)).toEqual([
      'CS-4 at offset 6 is not signed, after signed records: something without the signing key wrote it (unsigned)',
      'CS-4 at offset 7 is signed by the seal at offset 8, which is void (untrusted_key)',
      expect.stringMatching(/^seal at offset 8: key sk-\S+ is not a trusted signing key \(untrusted_key\)$/),
      'CS-4 at offset 9 is signed by the seal at offset 10, which is void (bad_signature)',
      `seal at offset 10: its signature is not key ${kid}'s signature of its head (bad_signature)`,
    ]);
    expect(report.classes[0]).toMatchObject({ class: 'CS', certificates: 4, sharesIssued: 40 });
    expect(report.signing).toMatchObject({ writes: 3, newest: { offset: 12 } });
  });

  it('fails a write with one byte changed in a record, and every signed write after it, which no longer chains', () => {
    const { log } = signedLog();
    const value = (log[2] as { value: string }).value;
    const tampered = [...log];
    tampered[2] = readRecord(2, 'CS', value.replace('Holder 3', 'Holder 8'));
    expect(messages(judged(tampered))).toEqual([
      'CS-2 at offset 1 is signed by the seal at offset 3, which is void (bad_signature)',
      'CS-3 at offset 2 is signed by the seal at offset 3, which is void (bad_signature)',
      expect.stringMatching(
        /^seal at offset 3: its root \w+ is not the root of the records it signs: they were altered \(bad_signature\)$/,
      ),
      'PS-1 at offset 4 is signed by the seal at offset 5, which is void (broken_chain)',
      expect.stringMatching(/^seal at offset 5: it follows head \w+, not the previous valid head 0{64} \(broken_chain\)$/),
    ]);
  });
});
