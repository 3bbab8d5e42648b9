import {
  certification,
  legendHeading,
  LEGENDS_HEADING,
  LEGENDS_OVERLEAF,
  SIGNED_LABELS,
  VERIFY_NOTE,
  type CertificateFace,
} from './face.js';
import { genuineVerdict, type ClosedNote } from './standing.js';
import { qrMatrix, qrSvg } from './qr.js';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every text from a request or the configuration passes here before it reaches a page. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ENTITIES[character]!);
}

/** Pages carry no script and load nothing: the only style is inline and the QR code is inline SVG. */
export const PAGE_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE = `
@page { size: letter landscape; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; background: #f3f1ea; color: #1f2a44; font-family: "DejaVu Serif", Georgia, "Times New Roman", serif; }
.sheet { position: relative; width: 11in; height: 8.5in; margin: 0 auto; padding: 0.33in; background: #fffdf6; overflow: hidden; }
.frame { height: 100%; border: 4px solid #1f2a44; padding: 4px; }
.inner { height: 100%; border: 1px solid #1f2a44; padding: 0.3in 0.45in; display: flex; flex-direction: column; }
.top { display: flex; justify-content: space-between; font-weight: bold; }
h1 { margin: 0.35in 0 0; text-align: center; font-size: 28pt; }
.kind { text-align: center; letter-spacing: 0.3em; margin-top: 0.1in; }
.class { text-align: center; font-style: italic; font-size: 15pt; margin-top: 0.05in; }
.certifies { text-align: center; font-size: 12pt; line-height: 1.5; margin: 0.3in 0.5in 0.1in; }
.holder { display: inline-block; font-size: 22pt; margin: 0.08in 0; }
.shares { display: inline-block; font-size: 15pt; margin: 0.06in 0; }
.issued { text-align: center; font-style: italic; }
.bottom { margin-top: auto; display: flex; justify-content: space-between; align-items: flex-end; }
.verify { display: flex; gap: 12px; align-items: flex-start; font-size: 9pt; max-width: 5in; }
.verify svg { flex: none; }
.verify code { font-size: 7.5pt; word-break: break-all; }
.signatures { display: flex; gap: 20px; }
.signature { width: 2in; border-top: 1px solid #1f2a44; text-align: center; font-size: 9pt; padding-top: 4px; }
.closed { text-align: center; color: #a11; font-weight: bold; margin: 0.08in 0 0; }
.mark { position: absolute; top: 50%; left: 50%; transform: translate(-50%, -50%) rotate(-30deg); border: 8px solid rgba(170, 17, 17, 0.55); color: rgba(170, 17, 17, 0.55); font: bold 96pt "DejaVu Sans", Arial, sans-serif; padding: 0 0.3in; letter-spacing: 0.05em; pointer-events: none; }
.particulars { text-align: center; font-size: 9.5pt; margin: 0.04in 0 0; }
.legends { border: 2px solid #1f2a44; padding: 4px 8px; margin: 0.08in 0 0; font-size: 7.5pt; line-height: 1.25; }
.legends h2 { font: bold 9pt "DejaVu Serif", Georgia, serif; margin: 0; text-align: center; letter-spacing: 0.1em; }
.legends h3 { font-size: 7.5pt; margin: 3px 0 0; text-transform: uppercase; }
.legends p { margin: 0; white-space: pre-wrap; }
.reverse { height: auto; min-height: 8.5in; break-before: page; }
.reverse .legends { font-size: 9pt; }
@media print { html, body { background: none; } .sheet { margin: 0; } }
`;

/** The QR code and what a person checks by hand, as the PDF prints them (src/paper/pdf.ts). */
function verificationBlock(face: CertificateFace): string {
  const e = escapeHtml;
  const { signed } = face;
  const text =
    signed === undefined
      ? `<code>${e(face.verifyUrl)}</code><br><br>Digest <span class="digest">${e(face.groupedDigest)}</span><br><small>SHA-256 of the record committed to the certificate log, ${e(face.issuedAt)}</small>`
      : `<small>${e(VERIFY_NOTE)}</small><br><br>Digest <span class="digest">${e(face.groupedDigest)}</span><br><small>${SIGNED_LABELS.key} ${e(signed.keyId)}<br>${SIGNED_LABELS.at} ${e(signed.signedAt)}<br>${SIGNED_LABELS.head}<br><code>${e(signed.headHash)}</code></small>`;
  return `${qrSvg(qrMatrix(face.verifyUrl))}<div><strong>Verify this certificate</strong><br>${text}</div>`;
}

/** Legend text the face of the page holds at most; longer legends are named there and printed in full on a second sheet, as the PDF's reverse. */
const FACE_LEGEND_CHARACTERS = 1500;

/** Whether the legends go on the reverse. */
function overleaf(face: CertificateFace): boolean {
  return face.legends.reduce((total, legend) => total + legend.text.length, 0) > FACE_LEGEND_CHARACTERS;
}

/** The terms, and the legends in a bordered block, as the PDF prints them. */
function termsBlock(face: CertificateFace): string {
  const e = escapeHtml;
  const particulars =
    face.particulars.length === 0
      ? ''
      : `<p class="particulars">${face.particulars.map(([label, value]) => `${e(label)} ${e(value)}`).join(' · ')}</p>`;
  if (face.legends.length === 0) return particulars;
  const reverse = overleaf(face);
  const legends = face.legends.map((legend) => `<h3>${e(legendHeading(legend))}</h3>${reverse ? '' : `<p>${e(legend.text)}</p>`}`).join('');
  return `${particulars}<section class="legends"><h2>${LEGENDS_HEADING}</h2>${legends}${reverse ? `<p><em>${e(LEGENDS_OVERLEAF)}</em></p>` : ''}</section>`;
}

/** The reverse, when the legends are too long for the face. */
function reverseSheet(face: CertificateFace): string {
  if (!overleaf(face)) return '';
  const e = escapeHtml;
  const legends = face.legends.map((legend) => `<h3>${e(legendHeading(legend))}</h3><p>${e(legend.text)}</p>`).join('');
  return `<main class="sheet reverse"><section class="legends"><h2>${LEGENDS_HEADING} OF CERTIFICATE No. ${e(face.id)}</h2>${legends}</section></main>`;
}

/** A closed certificate's line under its number, and the mark across its face. */
function closedBlock(closed: ClosedNote | undefined): { readonly line: string; readonly mark: string } {
  if (closed === undefined) return { line: '', mark: '' };
  return {
    line: `<p class="closed" id="closed">${escapeHtml(closed.line)}</p>`,
    mark: `<div class="mark" aria-hidden="true">${escapeHtml(closed.mark)}</div>`,
  };
}

/** The certificate as a print-ready page: the same face as the PDF, one sheet of US Letter, landscape. */
export function renderHtml(face: CertificateFace): string {
  const e = escapeHtml;
  const [lead, holder, middle, shares, tail] = certification(face);
  const closed = closedBlock(face.closed);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(face.company)}: stock certificate ${e(face.id)}</title>
<style>${STYLE}</style>
</head>
<body>
<main class="sheet"><div class="frame"><div class="inner">
<div class="top"><span>No. ${e(face.id)}</span><span>${e(face.sharesInFigures)} Shares</span></div>
${closed.line}
<h1>${e(face.company)}</h1>
<div class="kind">STOCK CERTIFICATE</div>
<div class="class">${e(face.className)}</div>
<p class="certifies">${e(lead)}<br><strong class="holder">${e(holder)}</strong><br>${e(middle)}<br><strong class="shares">${e(shares)}</strong><br>${e(tail)}</p>
<p class="issued">Issued <time datetime="${e(face.issuedAt)}">${e(face.issuedOn)}</time></p>
${termsBlock(face)}
<div class="bottom">
<div class="verify">${verificationBlock(face)}</div>
<div class="signatures"><div class="signature">Secretary</div><div class="signature">President</div></div>
</div>
</div></div>${closed.mark}</main>
${reverseSheet(face)}
</body>
</html>
`;
}

/**
 * The answer a verification link gives a person: whether the paper's digest is the log's, and for a
 * genuine one where it stands now and what it shows; never "Genuine" alone for a closed one.
 */
export function renderVerification(id: string, claimed: string, genuine: CertificateFace | undefined): string {
  const e = escapeHtml;
  const closed = genuine?.closed;
  const verdict =
    genuine !== undefined
      ? `<h1 class="${closed === undefined ? 'ok' : 'bad'}" id="verdict">${closed === undefined ? '✓' : '⚠'} ${e(genuineVerdict(closed))}</h1><p>The digest <code>${e(claimed)}</code> is that of certificate <strong>${e(id)}</strong> as committed to the certificate log.${closed === undefined ? ' No event has cancelled, stopped or replaced it.' : ` <strong>${e(closed.line)}</strong>: this paper no longer represents shares${closed.status === 'stopped' ? ' that may be transferred' : ''}.`}</p>`
      : `<h1 class="bad">✗ Does not match</h1><p>The digest <code>${e(claimed)}</code> is not that of a certificate <strong>${e(id)}</strong> in the certificate log. The paper was altered, or the digest or the id was mistyped.</p>`;
  // Only a genuine paper's holder is shown, and only what the paper already shows.
  const printed =
    genuine === undefined
      ? ''
      : `<p>What the log holds for ${e(id)}, as the paper shows it:</p>
<dl>
<dt>Company</dt><dd>${e(genuine.company)}</dd>
<dt>Class</dt><dd>${e(genuine.className)}</dd>
<dt>Holder</dt><dd>${e(genuine.holder)}</dd>
<dt>Shares</dt><dd>${e(genuine.sharesInFigures)} (${e(genuine.sharesInWords)})</dd>
<dt>Issued</dt><dd><time datetime="${e(genuine.issuedAt)}">${e(genuine.issuedOn)}</time></dd>
<dt>Digest</dt><dd><code>${e(genuine.groupedDigest)}</code></dd>
</dl>
`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verification of ${e(id)}</title>
<style>body { font-family: Georgia, serif; max-width: 40em; margin: 2em auto; padding: 0 1em; color: #1f2a44; } .ok { color: #1b6e3a; } .bad { color: #a11; } dt { font-weight: bold; margin-top: 0.5em; }</style>
</head>
<body>
${verdict}
${printed}</body>
</html>
`;
}
