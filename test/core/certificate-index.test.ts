import { describe, expect, it } from 'vitest';
import { CertificateIndex } from '../../src/core/certificate-index.js';
import { certificates } from '../support/certificates.js';

describe('CertificateIndex', () => {
  it('returns every certificate exactly as added, across growth of its columns', () => {
    const index = new CertificateIndex('CS');
    const added = certificates('CS', 1, 5000, 7);
    for (const certificate of added) index.add(certificate);
    expect(index.count).toBe(5000);
    expect(index.sharesIssued).toBe(35_000);
    expect(added.every((certificate) => JSON.stringify(index.get(certificate.number)) === JSON.stringify(certificate))).toBe(true);
  });

  it('knows no certificate outside 1..count', () => {
    const index = new CertificateIndex('CS');
    index.add(certificates('CS', 1, 1)[0]!);
    expect([index.get(0), index.get(2), index.get(1.5), index.get(-1)]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('refuses a gap, a repeat or another class as a bug, and keeps what it had', () => {
    const index = new CertificateIndex('CS');
    const [first, second, third] = certificates('CS', 1, 3);
    index.add(first!);
    expect(() => index.add(third!)).toThrow(/next in the index/);
    expect(() => index.add(first!)).toThrow(/next in the index/);
    expect(() => index.add(certificates('PS', 2, 1)[0]!)).toThrow(/next in the index/);
    index.add(second!);
    expect(index.count).toBe(2);
  });

  it('gives back names in any script and issuedAt texts exactly as the records carried them, whatever their form', () => {
    const index = new CertificateIndex('CS');
    const texts = [
      '2026-11-24T15:31:08.369Z',
      '2026-11-24T15:31:08.369Z',
      '2026-11-24T15:31:08Z',
      '2026-11-24T16:31:08.369+01:00',
      '2026-11-24T15:31:08.370Z',
    ];
    const names = ['Salt Bae', 'Zoë Ångström-Łukasiewicz', '李雷', 'a 😀 b', 'Ω'];
    let total = 0;
    const added = texts.map((issuedAt, at) => {
      total += at + 1;
      return { id: `CS-${at + 1}`, class: 'CS', number: at + 1, name: names[at]!, amount: at + 1, issuedAt, sharesIssued: total };
    });
    for (const certificate of added) index.add(certificate);
    expect(added.map((certificate) => index.get(certificate.number))).toEqual(added);
  });
});
