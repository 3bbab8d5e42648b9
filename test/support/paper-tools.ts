import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inTempDir, readPaper, tool } from '../../src/verify/pdf-reader.js';

export interface PdfReading {
  readonly pages: number;
  readonly pageSize: string;
  /** The text, whitespace collapsed to single spaces. */
  readonly text: string;
  /** What the QR codes on the first page decode to. */
  readonly qrCodes: string[];
}

/**
 * Reads a PDF the way a person's tools would (poppler-utils, zbar-tools; .ci/run installs them): its
 * page count and size, its text, and its QR codes scanned from a 150 dpi image, as `npm run verify` reads it.
 */
export function readPdf(pdf: Buffer): PdfReading {
  return inTempDir((dir) => {
    const file = join(dir, 'certificate.pdf');
    writeFileSync(file, pdf);
    const info = tool('pdfinfo', [file]);
    const { text, qrCodes } = readPaper(file, 150);
    return {
      pages: Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]),
      pageSize: /^Page size:\s+(.+)$/m.exec(info)?.[1]?.trim() ?? '',
      text: text.replace(/\s+/g, ' ').trim(),
      qrCodes,
    };
  });
}

/** Prints an HTML page to PDF with headless Chromium, as a browser's "Print" would. */
export function printHtml(html: string): Buffer {
  return inTempDir((dir) => {
    const page = join(dir, 'page.html');
    const out = join(dir, 'page.pdf');
    writeFileSync(page, html);
    tool('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-pdf-header-footer', `--print-to-pdf=${out}`, `file://${page}`]);
    return readFileSync(out);
  });
}

/**
 * The DOM headless Chromium makes of a page once its scripts have run (up to 10 s of the page's
 * time); asynchronous, so that a server in this process can answer it.
 */
export async function renderedDom(url: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    'chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=10000', '--dump-dom', url],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return stdout;
}
