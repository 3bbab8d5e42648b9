import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import {
  certification,
  legendHeading,
  LEGENDS_HEADING,
  LEGENDS_OVERLEAF,
  SIGNED_LABELS,
  VERIFY_NOTE,
  type CertificateFace,
} from './face.js';
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
const RED = '#a11111';

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

/** Space between the certificate's text and the legends' box, and inside the box. */
const LEGEND_GAP = 8;
const LEGEND_PADDING = 5;
/** The legends' type, from its size down to the smallest still read without a loupe. */
const LEGEND_SIZES = [8, 7.5, 7, 6.5, 6, 5.5, 5];

/** The legends' text as the face prints it: in full, or (`overleaf`) only their headings and where the text is. */
function legendTexts(face: CertificateFace, overleaf: boolean): Array<readonly [heading: string, text: string]> {
  const texts = face.legends.map((legend) => [legendHeading(legend), overleaf ? '' : legend.text] as const);
  return overleaf ? [...texts, ['', LEGENDS_OVERLEAF] as const] : texts;
}

function legendHeight(doc: PDFKit.PDFDocument, face: CertificateFace, inner: number, size: number, overleaf = false): number {
  const width = inner - 2 * LEGEND_PADDING;
  doc.font('bold').fontSize(size + 1.5);
  let total = 2 * LEGEND_PADDING + doc.heightOfString(LEGENDS_HEADING, { width });
  for (const [heading, text] of legendTexts(face, overleaf)) {
    doc.font('bold').fontSize(size);
    total += 2 + (heading === '' ? 0 : doc.heightOfString(heading, { width }));
    doc.font('regular').fontSize(size);
    total += text === '' ? 0 : doc.heightOfString(text, { width });
  }
  return total;
}

interface LegendLayout {
  readonly scale: number;
  readonly size: number;
  /** The legends' text goes on the reverse, the face naming them. */
  readonly overleaf: boolean;
}

/**
 * The legends' type size and the text's scale: the largest legend type that fits with the text at
 * full size, else the text shrunk (to 0.7) with the legends' type shrunk after it; legends longer
 * still are named on the face and printed in full on the reverse. `room(scale)` is the height left
 * below the text at that scale.
 */
function legendLayout(doc: PDFKit.PDFDocument, face: CertificateFace, inner: number, room: (scale: number) => number): LegendLayout {
  const shrink = (needs: number): number => {
    let scale = 1;
    while (scale > 0.5 && room(scale) < needs) scale -= 0.05;
    return scale;
  };
  if (face.legends.length === 0) return { scale: shrink(0), size: 0, overleaf: false };
  const needs = (size: number, overleaf = false): number => LEGEND_GAP + legendHeight(doc, face, inner, size, overleaf);
  for (let scale = 1; scale > 0.69; scale -= 0.05) {
    const size = LEGEND_SIZES.find((candidate) => needs(candidate) <= room(scale));
    if (size !== undefined) return { scale, size, overleaf: false };
  }
  return { scale: shrink(needs(LEGEND_SIZES[0]!, true)), size: LEGEND_SIZES[0]!, overleaf: true };
}

/** The legends in a bordered box, headed in bold capitals: noted conspicuously (DGCL §202). */
function drawLegends(doc: PDFKit.PDFDocument, face: CertificateFace, inner: number, layout: LegendLayout, y: number): void {
  const { size, overleaf } = layout;
  const width = inner - 2 * LEGEND_PADDING;
  const x = MARGIN + LEGEND_PADDING;
  doc
    .fillColor(INK)
    .font('bold')
    .fontSize(size + 1.5)
    .text(LEGENDS_HEADING, x, y + LEGEND_PADDING, { width, align: 'center', characterSpacing: 1 });
  for (const [heading, text] of legendTexts(face, overleaf)) {
    if (heading !== '')
      doc
        .font('bold')
        .fontSize(size)
        .text(heading, x, doc.y + 2, { width });
    if (text !== '')
      doc
        .font(heading === '' ? 'italic' : 'regular')
        .fontSize(size)
        .text(text, x, doc.y, { width });
  }
  doc
    .lineWidth(1.5)
    .strokeColor(INK)
    .rect(MARGIN, y, inner, doc.y - y + LEGEND_PADDING)
    .stroke();
}

/** The reverse: each legend in full, as long as it takes (pdfkit adds pages past the bottom margin). */
function drawLegendsOverleaf(doc: PDFKit.PDFDocument, face: CertificateFace): void {
  doc.addPage({ size: 'LETTER', layout: 'landscape', margin: MARGIN });
  const width = WIDTH - 2 * MARGIN;
  doc.fillColor(INK).font('bold').fontSize(12).text(`${LEGENDS_HEADING} OF CERTIFICATE No. ${face.id}`, { width, align: 'center' });
  for (const legend of face.legends) {
    doc.moveDown(0.8).font('bold').fontSize(10).text(legendHeading(legend), { width });
    doc.font('regular').fontSize(9).text(legend.text, { width });
  }
}

/** The few calls made of fontkit, the font engine pdfkit itself loads. */
interface OutlineFont {
  readonly unitsPerEm: number;
  layout(text: string): {
    readonly glyphs: ReadonlyArray<{ readonly path: { toSVG(): string } }>;
    readonly positions: ReadonlyArray<{ readonly xAdvance: number }>;
  };
}
// Resolved from pdfkit's own place, so it is the copy pdfkit uses, whatever the installer hoisted.
const pdfkitRequire = createRequire(createRequire(import.meta.url).resolve('pdfkit'));
const STAMP_FONT = (pdfkitRequire('fontkit') as { openSync(path: string): OutlineFont }).openSync(FONTS.bold);

/**
 * The mark of a closed certificate, across its face: large, red, diagonal, over everything, the print
 * showing through. Drawn as the letters' outlines, not as text: letters on a slant would fall one by
 * one into the text a reader extracts (pdftotext), between the holder's name and the shares; the
 * text layer says it in the line under the number.
 */
function stamp(doc: PDFKit.PDFDocument, mark: string): void {
  const size = 84;
  const scale = size / STAMP_FONT.unitsPerEm;
  // Centred above the page's middle, clear of the QR code, which must still scan.
  const middle = HEIGHT / 2 - 36;
  const { glyphs, positions } = STAMP_FONT.layout(mark);
  const width = positions.reduce((total, { xAdvance }) => total + xAdvance, 0) * scale;
  const x = WIDTH / 2 - width / 2;
  const baseline = middle + size * 0.36;
  doc.save();
  doc.rotate(-30, { origin: [WIDTH / 2, middle] });
  doc.opacity(0.45).fillColor(RED).strokeColor(RED);
  let advance = 0;
  for (const [index, glyph] of glyphs.entries()) {
    doc.save();
    doc.transform(scale, 0, 0, -scale, x + advance, baseline);
    doc.path(glyph.path.toSVG()).fill();
    doc.restore();
    advance += positions[index]!.xAdvance * scale;
  }
  doc
    .lineWidth(8)
    .rect(x - 24, middle - size * 0.62, width + 48, size * 1.24)
    .stroke();
  doc.restore();
}

/**
 * One page, US Letter landscape: the company, the class, the certificate number and shares, the
 * certifying sentence with the holder and the shares in words and figures, the issue date, signature
 * lines, the verification block (QR code, URL, digest), its terms and legends, and a closed one's
 * mark; legends too long for the face on the reverse. The same face gives the same bytes: the
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
    ...(face.particulars.length === 0
      ? []
      : [
          {
            font: 'regular',
            size: 9.5,
            text: face.particulars.map(([label, value]) => `${label} ${value}`).join(' · '),
            gap: 4,
            inset: 36,
          } as const,
        ]),
  ];
  if (face.closed !== undefined) {
    doc
      .fillColor(RED)
      .font('bold')
      .fontSize(10)
      .text(face.closed.line, MARGIN, MARGIN + 18, { width: inner, align: 'center' });
    doc.fillColor(INK);
  }
  // The longest company, class and holder names and the legends still fit above the verification
  // block: shrink the type until they do, rather than spill onto a second page.
  const qr = qrMatrix(face.verifyUrl);
  const side = printedSide(qr);
  const top = face.closed === undefined ? 92 : 100;
  const bottom = HEIGHT - MARGIN - side - 12;
  const height = (scale: number): number =>
    blocks.reduce((total, block) => total + block.gap * scale + measure(doc, block, scale, inner), 0);
  const legends = legendLayout(doc, face, inner, (scale) => bottom - top - height(scale));
  const scale = legends.scale;
  doc.y = top;
  for (const block of blocks) {
    doc.font(block.font).fontSize(block.size * scale);
    doc.text(block.text, MARGIN + block.inset, doc.y + block.gap * scale, blockOptions(block, inner));
  }
  if (face.legends.length > 0) drawLegends(doc, face, inner, legends, doc.y + LEGEND_GAP);

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
  if (face.closed !== undefined) stamp(doc, face.closed.mark);
  if (legends.overleaf) drawLegendsOverleaf(doc, face);
  doc.end();
  return done;
}
