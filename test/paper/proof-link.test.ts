import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkProof } from '../../src/core/proof.js';
import { decodeProofLink, encodeProof, PROOF_LINK_PREFIX, proofLink } from '../../src/paper/proof-link.js';
import { certificateFace, letterhead } from '../../src/paper/face.js';
import { printedSide, qrMatrix } from '../../src/paper/qr.js';
import { issuedTogether, type Receipt } from '../support/receipts.js';
import { signingKeys } from '../support/signing.js';

const BASE = 'https://shares.example.com';
const keys = signingKeys();
let alone: Receipt;
let batch: Receipt[];

beforeAll(async () => {
  alone = (await issuedTogether(1))[0]!;
  batch = await issuedTogether(300);
});

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('the proof link a signed paper’s QR code holds', () => {
  it('carries the certificate and its proof whole: decoded, it is the receipt the writer answered, and checkProof says ok', () => {
    // The first write held one record (no path); the 300 asked at once are one batch, in one write.
    expect(alone.proof.path).toEqual([]);
    expect(new Set(batch.map(({ proof }) => proof.seal.head.count))).toEqual(new Set([300]));
    for (const { certificate, proof } of [alone, ...batch]) {
      const link = proofLink(`${BASE}/`, certificate, proof);
      expect(link.startsWith(`${BASE}/verify#${PROOF_LINK_PREFIX}`)).toBe(true);
      const decoded = decodeProofLink(link);
      expect(decoded).toEqual({ certificate, proof });
      expect(checkProof(certificate, proof, keys)).toBe('ok');
    }
  });

  it('lets no changed character through: each of them makes it malformed or fails checkProof', () => {
    const { certificate, proof } = batch[150]!;
    const encoded = encodeProof(certificate, proof);
    for (let position = 0; position < encoded.length; position++) {
      const replaced = BASE64URL[(BASE64URL.indexOf(encoded[position]!) + 1 + (position % 63)) % 64]!;
      const decoded = decodeProofLink(`#${PROOF_LINK_PREFIX}${encoded.slice(0, position)}${replaced}${encoded.slice(position + 1)}`);
      const verdict = 'malformed' in decoded ? 'malformed' : checkProof(decoded.certificate, decoded.proof, keys);
      expect({ position, verdict }).not.toEqual({ position, verdict: 'ok' });
    }
  });

  it('refuses what is not a proof, saying why', () => {
    const { certificate, proof } = alone;
    const good = encodeProof(certificate, proof);
    const bytes = Buffer.from(good, 'base64url');
    const withFields = (fields: unknown): string =>
      `#v1.${Buffer.concat([bytes.subarray(0, 129), Buffer.from(JSON.stringify(fields))]).toString('base64url')}`;
    const fields = JSON.parse(bytes.subarray(129).toString()) as unknown[];
    for (const [link, why] of [
      [`${BASE}/certificates/CS-1/verify?digest=0123456789abcdef`, 'no #v1. proof'],
      [`#v2.${good}`, 'no #v1. proof'],
      [`#v1.${good}=`, 'not base64url'],
      // One byte whose last character sets bits past it: Node would read it, but it is not how the byte is written.
      ['#v1.AB', 'not canonical'],
      [`#v1.${good.slice(0, 100)}`, 'cut short'],
      [`#v1.${'A'.repeat(5000)}`, 'longer than 4096'],
      [withFields({ not: 'an array' }), 'not the twelve expected'],
      [withFields(fields.slice(0, 11)), 'not the twelve expected'],
      [withFields(fields.with(3, -5)), 'amount -5 is not a positive integer'],
      [withFields(fields.with(0, 7)), 'class is missing'],
      [withFields(fields.with(8, 2)), 'path does not fit'],
      [withFields(fields.with(9, 'yesterday')), 'not an ISO time'],
      [withFields(fields.with(10, 'a key')), 'not a key id'],
      [withFields(fields.with(11, { CS: [1] })), 'class CS is not a count'],
    ] as const) {
      const decoded = decodeProofLink(link);
      expect({ link: link.slice(0, 60), decoded: 'malformed' in decoded }).toEqual({ link: link.slice(0, 60), decoded: true });
      if ('malformed' in decoded) expect(decoded.malformed).toContain(why);
    }
  });

  it('fits a QR code at level M printed with modules of 1.3 pt or more for writes of 1 to 2400 records and names of 200 characters', () => {
    const { certificate, proof } = batch[150]!;
    // The longest path a write can need (2400 records: 12 levels), and the longest name in bytes (200 characters of 3 bytes).
    const longestPath = Array.from({ length: 12 }, () => randomBytes(32).toString('hex'));
    const sizes = Object.fromEntries(
      (
        [
          ['one record', alone.certificate, alone.proof],
          ['299 records', certificate, proof],
          ['2400 records', certificate, { ...proof, path: longestPath }],
          ['2400 records, 200 CJK characters', { ...certificate, name: '語'.repeat(200) }, { ...proof, path: longestPath }],
        ] as const
      ).map(([label, shown, proven]) => {
        const face = certificateFace(shown, letterhead('Example', []), BASE, proven);
        const qr = qrMatrix(face.verifyUrl);
        return [label, { version: (qr.size - 17) / 4, modules: qr.size, points: Math.round(printedSide(qr)) }];
      }),
    );
    // The measurements docs/verify.md quotes.
    expect(sizes).toEqual({
      'one record': { version: 15, modules: 77, points: 108 },
      '299 records': { version: 23, modules: 109, points: 153 },
      '2400 records': { version: 25, modules: 117, points: 164 },
      '2400 records, 200 CJK characters': { version: 34, modules: 153, points: 200 },
    });
    for (const { modules, points } of Object.values(sizes)) expect(points / modules).toBeGreaterThanOrEqual(1.3);
  });
});
