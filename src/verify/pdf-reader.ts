import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * How a paper certificate is read back: with poppler (pdftotext for the printed words, pdftoppm to
 * render the page) and zbar (zbarimg to scan the QR code off the rendered image). Chosen over
 * reading a copy of the proof embedded in the file, which pure Node could parse, because the point
 * is to check what a person sees and what a phone scans: an embedded copy is one more thing that can
 * disagree with the print, and pulling the printed words out of pdfkit's subset fonts in Node would
 * take a PDF parser with CMap support (a dependency as large as poppler). The tools are packaged
 * everywhere (apt-get install poppler-utils zbar-tools; .ci/run installs them).
 */
export class MissingTool extends Error {
  constructor(readonly command: string) {
    super(`${command} is not installed (apt-get install poppler-utils zbar-tools, or brew install poppler zbar)`);
    this.name = 'MissingTool';
  }
}

/** Runs one of those tools; throws MissingTool when it is not installed. `allowed` exit codes count as success. */
export function tool(command: string, args: readonly string[], allowed: readonly number[] = [0]): string {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { code, status, stdout, stderr } = error as NodeJS.ErrnoException & { status?: number; stdout?: string; stderr?: string };
    if (code === 'ENOENT') throw new MissingTool(command);
    if (status !== undefined && allowed.includes(status)) return stdout ?? '';
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr || String(error)}`);
  }
}

export function inTempDir<T>(use: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'paper-'));
  try {
    return use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface PaperReading {
  /** The first page's words in reading order, as pdftotext gives them. */
  readonly text: string;
  /** What each QR code on the first page decodes to. */
  readonly qrCodes: string[];
}

/** zbarimg's exit status when it read the image and found no code. */
const NO_CODE_FOUND = 4;

/**
 * The first page of a PDF as a person and a phone read it: its text, and its QR codes scanned from a
 * render at `dpi` (the paper's codes scan from 150 dpi up: test/paper/render.test.ts).
 */
export function readPaper(file: string, dpi = 150): PaperReading {
  return inTempDir((dir) => {
    const text = tool('pdftotext', ['-q', '-enc', 'UTF-8', '-f', '1', '-l', '1', file, '-']);
    tool('pdftoppm', ['-q', '-png', '-r', String(dpi), '-f', '1', '-l', '1', '-singlefile', file, join(dir, 'page')]);
    const scanned = tool('zbarimg', ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', join(dir, 'page.png')], [NO_CODE_FOUND]);
    return { text, qrCodes: scanned.split('\n').filter((line) => line.length > 0) };
  });
}
