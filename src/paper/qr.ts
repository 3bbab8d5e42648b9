import QRCode from 'qrcode';

/** A QR code as its square of modules; both renderers draw from it, so the PDF and HTML carry the same code. */
export interface QrMatrix {
  readonly size: number;
  isDark(row: number, column: number): boolean;
}

/** Bytes the largest QR code (version 40) holds at level M, and at level L. */
const MAX_BYTES_M = 2331;
export const QR_MAX_BYTES = 2953;

export function qrMatrix(text: string): QrMatrix {
  // Level M survives a crease or a stain on a printed page and keeps the code small; a link too
  // long for it (a proof with many classes in its head) takes level L rather than no code.
  const level = Buffer.byteLength(text) <= MAX_BYTES_M ? 'M' : 'L';
  const { modules } = QRCode.create(text, { errorCorrectionLevel: level });
  return { size: modules.size, isDark: (row, column) => modules.get(row, column) === 1 };
}

/** Runs of dark modules per row, as [row, firstColumn, length]: one rectangle per run keeps files small. */
export function darkRuns(qr: QrMatrix): Array<readonly [number, number, number]> {
  const runs: Array<readonly [number, number, number]> = [];
  for (let row = 0; row < qr.size; row++) {
    for (let column = 0; column < qr.size;) {
      if (!qr.isDark(row, column)) {
        column++;
        continue;
      }
      const start = column;
      while (column < qr.size && qr.isDark(row, column)) column++;
      runs.push([row, start, column - start]);
    }
  }
  return runs;
}

/** The code as an SVG element, one path, printed as large as the PDF prints it (its quiet zone around it). */
export function qrSvg(qr: QrMatrix): string {
  const quiet = 4;
  const side = qr.size + 2 * quiet;
  const path = darkRuns(qr)
    .map(([row, column, length]) => `M${column + quiet} ${row + quiet}h${length}v1h-${length}z`)
    .join('');
  const points = Math.round((100 * printedSide(qr) * side) / qr.size) / 100;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${points}pt" height="${points}pt" viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges" role="img" aria-label="QR code of the verification link"><rect width="${side}" height="${side}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}

/** Points per module at least: zbarimg reads a 150 dpi render from 1.06 pt up (measured), and a phone's camera likes more. */
const MODULE_POINTS = 1.4;

/**
 * The printed side of the code, in points (1/72 in): a longer link makes more modules, so the code
 * grows with it, from 92 pt (1.3 in, a link without proof) to at most 200 pt (2.8 in).
 */
export function printedSide(qr: QrMatrix): number {
  return Math.min(200, Math.max(92, qr.size * MODULE_POINTS));
}
