import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateFace, letterhead, type CertificateFace } from '../../src/paper/face.js';
import { renderPdf } from '../../src/paper/pdf.js';
import { newStoredKey, signingKeysOf } from '../../src/signing/key-file.js';
import { SigningKeys } from '../../src/signing/signing-keys.js';
import { inTempDir, readPaper } from '../../src/verify/pdf-reader.js';
import { verifyLink, verifyPaper, type Verdict } from '../../src/verify/verdict.js';
import { issuedTogether, type Receipt } from '../support/receipts.js';
import { signingKeys } from '../support/signing.js';

const keys = signingKeys();
const company = letterhead('Salt Bae Holdings, Inc.', [{ code: 'CS', name: 'Common Stock' }]);
let receipt: Receipt;

beforeAll(async () => {
  receipt = (await issuedTogether(5))[3]!;
});

/** The paper as the service prints it, read back as `npm run verify` reads a PDF, and judged. */
async function judged(face: CertificateFace, verifier = keys): Promise<Verdict> {
  const pdf = await renderPdf(face);
  return inTempDir((dir) => {
    const file = join(dir, 'certificate.pdf');
    writeFileSync(file, pdf);
    return verifyPaper(readPaper(file), verifier);
  });
}

const genuineFace = (name?: string): CertificateFace => {
  const { certificate, proof } = receipt;
  return certificateFace(name === undefined ? certificate : { ...certificate, name }, company, 'https://shares.example.com', proof);
};

describe('verifying a paper certificate offline', () => {
  it('finds a genuine PDF genuine: its code’s proof is signed by a trusted key and every printed field is the one signed', async () => {
    const verdict = await judged(genuineFace());
    expect(verdict).toEqual({ status: 'genuine', certificate: receipt.certificate, proof: receipt.proof });
  });

  it('finds a PDF with one letter of the holder’s name changed not genuine, though its QR code is intact', async () => {
    const forged = { ...genuineFace(), holder: receipt.certificate.name.replace('ë', 'e') };
    expect(forged.holder).not.toBe(receipt.certificate.name);
    const verdict = await judged(forged);
    expect(verdict).toMatchObject({ status: 'not_genuine', reason: 'altered_print' });
    expect(verdict.status !== 'genuine' && verdict.detail).toContain('the printed holder');
  });

  it('finds every other printed field altered: the shares in words or figures, the date, the digest, the seal', async () => {
    const face = genuineFace();
    for (const [altered, field] of [
      [{ sharesInWords: 'One Thousand Two Hundred Fifty-One' }, 'holder, shares in words and in figures'],
      [{ sharesInFigures: '12,530' }, 'number and shares'],
      [{ issuedOn: 'January 1, 2020' }, 'issue date'],
      [{ groupedDigest: '0000 0000 0000 0000' }, 'digest'],
      [{ signed: { ...face.signed!, signedAt: '2020-01-01T00:00:00.000Z' } }, 'signing time'],
    ] as const) {
      const verdict = await judged({ ...face, ...altered });
      expect({ field, verdict }).toMatchObject({ field, verdict: { status: 'not_genuine', reason: 'altered_print' } });
      expect(verdict.status !== 'genuine' && verdict.detail).toContain(field);
    }
  });

  it('reads back names in Latin with ligatures, Greek and Cyrillic, and a name long enough to wrap, as genuine', async () => {
    for (const name of ['Griffin Officeflow-Ffion', 'Αλέξανδρος Παπαδόπουλος', 'Ёлкина Жанна', 'Maximilian Alexander '.repeat(9).trim()]) {
      const { certificate, proof } = (await issuedTogether(1, name))[0]!;
      expect(certificate.name).toBe(name);
      const verdict = await judged(certificateFace(certificate, company, 'https://shares.example.com', proof));
      expect({ name, status: verdict.status }).toEqual({ name, status: 'genuine' });
    }
  });

  it('says a paper from before signing cannot be checked offline, and names the link the service checks', async () => {
    const verdict = await judged(certificateFace(receipt.certificate, company, 'https://shares.example.com'));
    expect(verdict).toMatchObject({ status: 'cannot_check' });
    expect(verdict.status === 'cannot_check' && verdict.detail).toContain(
      `https://shares.example.com/certificates/${receipt.certificate.id}/verify?digest=`,
    );
  });

  it('finds a link signed by a key it does not trust, or signed after the key was retired, not genuine', () => {
    const link = genuineFace().verifyUrl;
    const stranger = new SigningKeys(signingKeysOf([newStoredKey(new Date(Date.now() - 60_000))], 'other'));
    expect(verifyLink(link, stranger)).toMatchObject({ status: 'not_genuine', reason: 'untrusted_key' });
    const retired = new SigningKeys(keys.all.map((key) => ({ ...key, retiredAt: key.notBefore })));
    expect(verifyLink(link, retired)).toMatchObject({ status: 'not_genuine', reason: 'retired_key' });
    expect(verifyLink(link, keys)).toMatchObject({ status: 'genuine' });
  });
});
