import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CertificateRecord } from '../../src/core/certificate.js';
import { encodeValue } from '../../src/core/record-format.js';
import { certificateDigest, groupDigest, isDigest } from '../../src/paper/digest.js';
import { verifyUrl } from '../../src/paper/face.js';

const record = {
  id: 'CS-7',
  class: 'CS',
  number: 7,
  name: 'Zoë "the <holder>"',
  amount: 1250,
  issuedAt: '2026-11-24T15:31:08.369Z',
  sharesIssued: 9000,
  offset: 41,
  request: 'abc:1',
  idempotencyKey: 'k-1',
};

describe('the certificate digest', () => {
  it('is the first 16 hex characters of the SHA-256 of the committed fields, as an auditor recomputes them from the record', () => {
    // What docs/audit.md tells an auditor to do with a record from kafka-console-consumer.
    const fromLog = JSON.parse(encodeValue(record)) as Record<string, unknown>;
    const fields = ['id', 'class', 'number', 'name', 'amount', 'issuedAt', 'sharesIssued'];
    const canonical = JSON.stringify(Object.fromEntries(fields.map((field) => [field, fromLog[field]])));
    expect(certificateDigest(record)).toBe(createHash('sha256').update(canonical).digest('hex').slice(0, 16));
  });

  it('changes with any field a forger would alter, and ignores what only the log rule needs', () => {
    const digest = certificateDigest(record);
    for (const altered of [{ name: 'Zoe' }, { amount: 12500 }, { number: 8, id: 'CS-8' }, { issuedAt: '2026-11-25T15:31:08.369Z' }]) {
      expect(certificateDigest({ ...record, ...altered })).not.toBe(digest);
    }
    const elsewhere: CertificateRecord = { ...record, offset: 99, request: 'other', idempotencyKey: 'k-2' };
    expect(certificateDigest(elsewhere)).toBe(digest);
  });

  it('prints in groups of four and sits in the verification URL', () => {
    const digest = certificateDigest(record);
    expect(isDigest(digest)).toBe(true);
    expect(groupDigest('3f2a9c1b07de4411')).toBe('3f2a 9c1b 07de 4411');
    expect(verifyUrl('https://certs.example.com/', record)).toBe(`https://certs.example.com/certificates/CS-7/verify?digest=${digest}`);
    expect(['', '3f2a9c1b07de441', '3f2a9c1b07de44110', '3f2a 9c1b 07de 4411', 'zz2a9c1b07de4411'].filter(isDigest)).toEqual([]);
  });
});
