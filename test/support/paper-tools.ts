import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs a tool the paper tests read documents with (poppler-utils, zbar-tools, chromium; .ci/run installs them). */
function tool(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (error) {
    const { code, stderr } = error as NodeJS.ErrnoException & { stderr?: string };
    if (code === 'ENOENT') throw new Error(`${command} is not installed (apt-get install poppler-utils zbar-tools chromium)`);
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr ?? String(error)}`);
  }
}

function inTempDir<T>(use: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'paper-'));
  try {
    return use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface PdfReading {
  readonly pages: number;
  readonly pageSize: string;
  /** The text, whitespace collapsed to single spaces. */
  readonly text: string;
  /** What the QR codes on the first page decode to. */
  readonly qrCodes: string[];
}

/** Reads a PDF the way a person's tools would: its page count and size, its text, and its QR codes scanned from a 150 dpi image. */
export function readPdf(pdf: Buffer): PdfReading {
  return inTempDir((dir) => {
    const file = join(dir, 'certificate.pdf');
    writeFileSync(file, pdf);
    const info = tool('pdfinfo', [file]);
    const text = tool('pdftotext', ['-layout', file, '-']).replace(/\s+/g, ' ').trim();
    tool('pdftoppm', ['-png', '-r', '150', '-singlefile', file, join(dir, 'page')]);
    const scanned = tool('zbarimg', ['--quiet', '--raw', join(dir, 'page.png')]);
    return {
      pages: Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]),
      pageSize: /^Page size:\s+(.+)$/m.exec(info)?.[1]?.trim() ?? '',
      text,
      qrCodes: scanned.split('\n').filter((line) => line.length > 0),
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
