import QRCode from 'qrcode';

/** A QR code as its square of modules; both renderers draw from it, so the PDF and HTML carry the same code. */
export interface QrMatrix {
  readonly size: number;
  isDark(row: number, column: number): boolean;
}

export function qrMatrix(text: string): QrMatrix {
  // Level M survives a crease or a stain on a printed page and keeps the code small.
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
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

/** The code as an SVG element, one path, scaled by the page. */
export function qrSvg(qr: QrMatrix): string {
  const quiet = 4;
  const side = qr.size + 2 * quiet;
  const path = darkRuns(qr)
    .map(([row, column, length]) => `M${column + quiet} ${row + quiet}h${length}v1h-${length}z`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges" role="img" aria-label="QR code of the verification link"><rect width="${side}" height="${side}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}
