import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Certificate } from '../../src/core/certificate.js';
import { certificateFace, letterhead } from '../../src/paper/face.js';
import { escapeHtml, renderHtml } from '../../src/paper/html.js';
import { PdfRenderer } from '../../src/paper/pdf-renderer.js';
import { printer } from '../../src/paper/printer.js';
import { renderPdf } from '../../src/paper/pdf.js';
import { printHtml, readPdf } from '../support/paper-tools.js';
import { issuedTogether, type Receipt } from '../support/receipts.js';

const certificate: Certificate = {
  id: 'CS-1250',
  class: 'CS',
  number: 1250,
  name: 'Zoë Ångström-Łukasiewicz',
  amount: 1250,
  issuedAt: '2026-11-24T15:31:08.369Z',
  sharesIssued: 1_000_000,
};
const company = letterhead('Salt Bae Holdings, Inc.', [{ code: 'CS' }, { code: 'PS' }, { code: 'B', name: 'Class B Common' }]);
const face = certificateFace(certificate, company, 'https://certificates.example.com');
const renderer = new PdfRenderer(2);

afterAll(() => renderer.close());

describe('the PDF certificate', () => {
  it('is one US Letter landscape page with everything a certificate says, and a QR code that scans to its verification URL', async () => {
    const reading = readPdf(await renderPdf(face));
    expect(reading.pages).toBe(1);
    expect(reading.pageSize).toContain('792 x 612 pts (letter)');
    for (const text of [
      'No. CS-1250',
      '1,250 Shares',
      'Salt Bae Holdings, Inc.',
      'Common Stock',
      'This certifies that',
      'Zoë Ångström-Łukasiewicz',
      'One Thousand Two Hundred Fifty (1,250)',
      'Issued November 24, 2026',
      `Digest ${face.groupedDigest}`,
      'Secretary',
      'President',
    ]) {
      expect(reading.text).toContain(text);
    }
    expect(reading.qrCodes).toEqual([`https://certificates.example.com/certificates/CS-1250/verify?digest=${face.digest}`]);
  });

  it('gives the same bytes for the same record, in this thread and from the rendering worker', async () => {
    const first = await renderPdf(face);
    expect((await renderPdf(face)).equals(first)).toBe(true);
    expect((await renderer.render(face)).equals(first)).toBe(true);
    expect(
      (await renderPdf(certificateFace({ ...certificate, name: 'Someone Else' }, company, 'https://certificates.example.com'))).equals(
        first,
      ),
    ).toBe(false);
  });

  it('keeps the longest company, holder and amount on one page, in smaller type', async () => {
    const longest = certificateFace(
      {
        ...certificate,
        id: 'B-999999999999999',
        class: 'B',
        number: 999_999_999_999_999,
        name: 'Maximilian Alexander '.repeat(10).slice(0, 200),
        amount: Number.MAX_SAFE_INTEGER,
      },
      letterhead('The Extraordinarily Long Named Holding Company '.repeat(3).slice(0, 120), [{ code: 'B', name: 'Class B Common' }]),
      'https://certificates.example.com',
    );
    const reading = readPdf(await renderPdf(longest));
    expect(reading.pages).toBe(1);
    expect(reading.text).toContain('Nine Quadrillion Seven Trillion');
    expect(reading.text).toContain('Class B Common');
    expect(reading.qrCodes).toEqual([longest.verifyUrl]);
  });

  it('renders in a worker: the event loop does almost none of the work while PDFs render, and a full queue refuses as too_many_requests', async () => {
    /** How long this thread's event loop was busy, in ms, while `rendering` ran. */
    async function busyMs(rendering: () => Promise<unknown>): Promise<number> {
      const before = performance.eventLoopUtilization();
      await rendering();
      return performance.eventLoopUtilization(before).active;
    }
    // Rendered in this thread, a PDF keeps its loop busy ~90 ms (in pieces of a few ms, as pdfkit
    // streams); measured beside the worker's, so that a loaded machine slows both alike.
    const inThread = await busyMs(() => renderPdf(face));
    let both: Buffer[] = [];
    const inWorker = await busyMs(async () => {
      both = await Promise.all([renderer.render(face), renderer.render(face)]);
    });
    expect(both.every((pdf) => pdf.length > 10_000)).toBe(true);
    // Two PDFs in the worker leave this thread only the hand-over: ~3 ms.
    expect(inWorker).toBeLessThan(inThread / 4);

    const queued = [renderer.render(face), renderer.render(face)];
    await expect(renderer.render(face)).rejects.toMatchObject({ code: 'too_many_requests', canRetry: true });
    await Promise.all(queued);
  });
});

describe('the PDF of a signed certificate', () => {
  let receipts: Receipt[];
  beforeAll(async () => {
    receipts = await issuedTogether(300);
  });

  it('prints the digest, the signing key, the time and the head hash, and its QR code holds the proof link', async () => {
    const { certificate, proof } = receipts[150]!;
    const signed = certificateFace(certificate, company, 'https://certificates.example.com', proof);
    expect(signed.verifyUrl).toMatch(/^https:\/\/certificates\.example\.com\/verify#v1\.[A-Za-z0-9_-]+$/);
    const reading = readPdf(await renderPdf(signed));
    expect(reading.pages).toBe(1);
    for (const text of [
      `No. ${certificate.id}`,
      'Zoë Ångström-Łukasiewicz',
      `Digest ${signed.groupedDigest}`,
      `Signing key ${proof.seal.head.key}`,
      `Signed at ${proof.seal.head.at}`,
      `Signed head ${proof.seal.hash}`,
      'The code holds the whole proof',
    ]) {
      expect(reading.text).toContain(text);
    }
    expect(reading.qrCodes).toEqual([signed.verifyUrl]);
  });

  it('keeps its largest code scannable from a 150 dpi render: 12 levels of path and 200 characters of three bytes each', async () => {
    const { certificate, proof } = receipts[0]!;
    const path = Array.from({ length: 12 }, () => randomBytes(32).toString('hex'));
    const largest = certificateFace({ ...certificate, name: '語'.repeat(200) }, company, 'https://certificates.example.com', {
      ...proof,
      path,
    });
    const reading = readPdf(await renderPdf(largest));
    expect(reading.pages).toBe(1);
    expect(reading.qrCodes).toEqual([largest.verifyUrl]);
  });

  it('falls back to the link the service checks when the proof is too long for any QR code', () => {
    const { certificate, proof } = receipts[0]!;
    const classes = Object.fromEntries(
      Array.from({ length: 200 }, (_, index) => [
        `C${String.fromCharCode(65 + (index % 26)).repeat(1 + Math.floor(index / 26))}`,
        { number: 1, sharesIssued: 1 },
      ]),
    );
    const crowded = { ...proof, seal: { ...proof.seal, head: { ...proof.seal.head, classes } } };
    const face = certificateFace(certificate, company, 'https://certificates.example.com', crowded);
    expect([face.verifyUrl, face.signed]).toEqual([
      `https://certificates.example.com/certificates/${certificate.id}/verify?digest=${face.digest}`,
      undefined,
    ]);
  });
});

describe('the printer', () => {
  it('renders a certificate fetched again only once: the recent PDFs are kept, by what they show', async () => {
    const paper = printer({ companyName: 'Salt Bae Holdings, Inc.', publicUrl: undefined }, [{ code: 'CS' }]);
    try {
      const first = await paper.renderPdf(face);
      // The same Buffer, not an equal one: it was kept, not rendered again.
      expect(await paper.renderPdf(face)).toBe(first);
      const other = certificateFace({ ...certificate, name: 'Someone Else' }, company, 'https://certificates.example.com');
      expect(await paper.renderPdf(other)).not.toBe(first);
    } finally {
      await paper.close();
    }
  });
});

describe('the HTML certificate', () => {
  it('says what the PDF says, escapes every text it prints, and prints on one Letter landscape page in Chromium', () => {
    const hostile = certificateFace(
      { ...certificate, name: '<script>alert("x")</script> & Co' },
      letterhead('<b>Evil</b> "Corp"', [{ code: 'CS' }]),
      'https://certificates.example.com',
    );
    const html = renderHtml(hostile);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>Evil');
    expect(html).toContain(escapeHtml('<script>alert("x")</script> & Co'));
    expect(html).toContain('@page { size: letter landscape');
    const page = renderHtml(face);
    for (const text of [
      'No. CS-1250',
      '1,250 Shares',
      'Common Stock',
      'One Thousand Two Hundred Fifty (1,250)',
      face.groupedDigest,
      face.verifyUrl,
    ]) {
      expect(page).toContain(text);
    }
    expect(page).toContain('<svg');

    const printed = readPdf(printHtml(page));
    expect(printed.pages).toBe(1);
    expect(printed.pageSize).toContain('792 x 612 pts (letter)');
    expect(printed.text).toContain('Zoë Ångström-Łukasiewicz');
    expect(printed.qrCodes).toEqual([face.verifyUrl]);
  });

  it('prints a signed certificate’s seal and proof link as the PDF does', async () => {
    const { certificate, proof } = (await issuedTogether(1))[0]!;
    const signed = certificateFace(certificate, company, 'https://certificates.example.com', proof);
    const printed = readPdf(printHtml(renderHtml(signed)));
    // The page may break the head's hash over two lines.
    const unbroken = printed.text.replace(/\s+/g, '');
    for (const text of [
      `Digest ${signed.groupedDigest}`,
      `Signing key ${proof.seal.head.key}`,
      `Signed at ${proof.seal.head.at}`,
      `Signed head ${proof.seal.hash}`,
    ]) {
      expect(unbroken).toContain(text.replace(/\s+/g, ''));
    }
    expect(printed.qrCodes).toEqual([signed.verifyUrl]);
  });
});
