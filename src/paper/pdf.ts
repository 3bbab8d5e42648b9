import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { certification, SIGNED_LABELS, VERIFY_NOTE, type CertificateFace } from './face.js';
import { darkRuns, printedSide, qrMatrix } from './qr.js';

// Fonts ship in an npm package and are embedded (subset) in every PDF: nothing is fetched, and any
// Latin, Greek or Cyrillic name prints as written. (The 14 standard PDF fonts know only Latin-1.)
const fontDir = `${createRequire(import.meta.url)
  .resolve('dejavu-fonts-ttf/package.json')
  .replace(/package\.json$/, '')}ttf/`;
const FONTS = {
  regular: `${fontDir}DejaVuSerif.ttf`,
  bold: `${fontDir}DejaVuSerif-Bold.ttf`,
  italic: `${fontDir}DejaVuSerif-Italic.ttf`,
  mono: `${fontDir}DejaVuSansMono.ttf`,
};

// US Letter, landscape, in points.
const WIDTH = 792;
const HEIGHT = 612;
const MARGIN = 54;
const INK = '#1f2a44';

interface Block {
  readonly font: keyof typeof FONTS;
  readonly size: number;
  readonly text: string;
  /** Space above, in points at full size. */
  readonly gap: number;
  /** Indent from both sides of the frame. */
  readonly inset: number;
  readonly spacing?: number;
}

function blockOptions(block: Block, inner: number): PDFKit.Mixins.TextOptions {
  return { width: inner - 2 * block.inset, align: 'center', characterSpacing: block.spacing ?? 0 };
}

function measure(doc: PDFKit.PDFDocument, block: Block, scale: number, inner: number): number {
  doc.font(block.font).fontSize(block.size * scale);
  return doc.heightOfString(block.text, blockOptions(block, inner));
}

/**
 * One page, US Letter landscape: the company, the class, the certificate number and shares, the
 * certifying sentence with the holder and the shares in words and figures, the issue date, signature
 * lines, and the verification block (QR code, URL, digest). The same face gives the same bytes: the
 * document's dates are the certificate's issue time, and pdfkit derives the file id from them.
 */
export function renderPdf(face: CertificateFace): Promise<Buffer> {
  const issued = new Date(face.issuedAt);
  const doc = new PDFDocument({
    size: 'LETTER',
    layout: 'landscape',
    // Everything is placed by coordinates; no margin means pdfkit never breaks onto a second page.
    margin: 0,
    info: {
      Title: `${face.company} stock certificate ${face.id}`,
      Author: face.company,
      Subject: `${face.sharesInFigures} shares of ${face.className} held by ${face.holder}`,
      Keywords: `${face.id} ${face.digest}`,
      CreationDate: issued,
      ModDate: issued,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  for (const [name, path] of Object.entries(FONTS)) doc.registerFont(name, path);

  // Frame: a heavy outer rule and a fine inner one, the look of an engraved border.
  doc
    .lineWidth(4)
    .strokeColor(INK)
    .rect(24, 24, WIDTH - 48, HEIGHT - 48)
    .stroke();
  doc
    .lineWidth(0.75)
    .rect(32, 32, WIDTH - 64, HEIGHT - 64)
    .stroke();

  const inner = WIDTH - 2 * MARGIN;
  doc.fillColor(INK).font('bold').fontSize(12);
  doc.text(`No. ${face.id}`, MARGIN, MARGIN, { width: inner / 2, lineBreak: false });
  doc.text(`${face.sharesInFigures} Shares`, MARGIN + inner / 2, MARGIN, { width: inner / 2, align: 'right', lineBreak: false });

  const [lead, holder, middle, shares, tail] = certification(face);
  const blocks: readonly Block[] = [
    { font: 'bold', size: 28, text: face.company, gap: 0, inset: 0 },
    { font: 'regular', size: 13, text: 'STOCK CERTIFICATE', gap: 6, inset: 0, spacing: 3 },
    { font: 'italic', size: 15, text: face.className, gap: 2, inset: 0 },
    { font: 'regular', size: 12, text: lead, gap: 22, inset: 36 },
    { font: 'bold', size: 22, text: holder, gap: 8, inset: 36 },
    { font: 'regular', size: 12, text: middle, gap: 8, inset: 36 },
    { font: 'bold', size: 15, text: shares, gap: 6, inset: 36 },
    { font: 'regular', size: 12, text: tail, gap: 6, inset: 36 },
    { font: 'italic', size: 12, text: `Issued ${face.issuedOn}`, gap: 16, inset: 36 },
  ];
  // The longest company, class and holder names still fit above the verification block: shrink the
  // type until they do, rather than spill onto a second page.
  const qr = qrMatrix(face.verifyUrl);
  const side = printedSide(qr);
  const top = 92;
  const bottom = HEIGHT - MARGIN - side - 12;
  const height = (scale: number): number =>
    blocks.reduce((total, block) => total + block.gap * scale + measure(doc, block, scale, inner), 0);
  let scale = 1;
  while (scale > 0.5 && top + height(scale) > bottom) scale -= 0.05;
  doc.y = top;
  for (const block of blocks) {
    doc.font(block.font).fontSize(block.size * scale);
    doc.text(block.text, MARGIN + block.inset, doc.y + block.gap * scale, blockOptions(block, inner));
  }

  // Verification block, bottom left: the QR code, and what a person checks by hand.
  const module = side / qr.size;
  const qrX = MARGIN;
  const qrY = HEIGHT - MARGIN - side;
  for (const [row, column, length] of darkRuns(qr)) doc.rect(qrX + column * module, qrY + row * module, length * module, module);
  doc.fillColor('#000').fill();
  const width = 300;
  doc
    .fillColor(INK)
    .font('bold')
    .fontSize(9)
    .text('Verify this certificate', qrX + side + 12, qrY + 4, { width });
  const { signed } = face;
  if (signed === undefined) {
    doc.font('mono').fontSize(7.5).text(face.verifyUrl, { width });
    doc.moveDown(0.4).font('regular').fontSize(9).text(`Digest ${face.groupedDigest}`, { width });
    doc.fontSize(7.5).text(`SHA-256 of the record committed to the certificate log, ${face.issuedAt}`, { width });
  } else {
    doc.font('regular').fontSize(7.5).text(VERIFY_NOTE, { width });
    doc.moveDown(0.4).fontSize(9).text(`Digest ${face.groupedDigest}`, { width });
    doc.fontSize(7.5).text(`${SIGNED_LABELS.key} ${signed.keyId}`, { width });
    doc.text(`${SIGNED_LABELS.at} ${signed.signedAt}`, { width });
    doc.text(SIGNED_LABELS.head, { width });
    doc.font('mono').fontSize(7).text(signed.headHash, { width });
  }

  // Signature lines, bottom right: officers sign the paper by hand.
  const lineWidth = 150;
  const signY = HEIGHT - MARGIN - 14;
  for (const [index, title] of ['Secretary', 'President'].entries()) {
    const x = WIDTH - MARGIN - (2 - index) * lineWidth - (1 - index) * 20;
    doc
      .lineWidth(0.75)
      .moveTo(x, signY)
      .lineTo(x + lineWidth, signY)
      .stroke();
    doc
      .font('regular')
      .fontSize(9)
      .text(title, x, signY + 4, { width: lineWidth, align: 'center', lineBreak: false });
  }
  doc.end();
  return done;
}
