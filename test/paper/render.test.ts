import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import type { Certificate } from '../../src/core/certificate.js';
import { certificateFace, letterhead } from '../../src/paper/face.js';
import { escapeHtml, renderHtml } from '../../src/paper/html.js';
import { PdfRenderer } from '../../src/paper/pdf-renderer.js';
import { printer } from '../../src/paper/printer.js';
import { renderPdf } from '../../src/paper/pdf.js';
import { printHtml, readPdf } from '../support/paper-tools.js';

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

  it('renders in a worker: the event loop stays responsive while PDFs render, and a full queue refuses as too_many_requests', async () => {
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const both = await Promise.all([renderer.render(face), renderer.render(face)]);
    delay.disable();
    expect(both.every((pdf) => pdf.length > 10_000)).toBe(true);
    // Rendering one of these in this thread blocks it for ~100 ms (font embedding).
    expect(delay.max / 1e6).toBeLessThan(60);

    const queued = [renderer.render(face), renderer.render(face)];
    await expect(renderer.render(face)).rejects.toMatchObject({ code: 'too_many_requests', canRetry: true });
    await Promise.all(queued);
  });
});

describe('the printer', () => {
  it('renders a certificate fetched again only once: the recent PDFs are kept, by what they show', async () => {
    const paper = printer({ companyName: 'Salt Bae Holdings, Inc.', publicUrl: undefined }, [{ code: 'CS' }]);
    try {
      const first = await paper.renderPdf(face);
      const started = performance.now();
      const again = await paper.renderPdf(face);
      expect(again).toBe(first);
      expect(performance.now() - started).toBeLessThan(20);
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
});
