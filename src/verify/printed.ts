import { CERTIFIES, HOLDS, SIGNED_LABELS, type CertificateFace } from '../paper/face.js';

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Each field as the paper prints it (src/paper/pdf.ts), found in the page's text: the pattern's
 * groups are the field. The seal's labels are the renderers' own (SIGNED_LABELS).
 */
const PRINTED: ReadonlyArray<{
  readonly field: string;
  readonly pattern: RegExp;
  readonly expected: (face: CertificateFace) => string;
}> = [
  // The page's first line: nothing a holder or a company is called can come before it.
  { field: 'number and shares', pattern: /^No\. (\S+) ([\d,]+) Shares /g, expected: (face) => `${face.id} | ${face.sharesInFigures}` },
  {
    field: 'holder, shares in words and in figures',
    pattern: new RegExp(`${escape(CERTIFIES)} (.+?) ${escape(HOLDS)} (.+?) \\(([\\d,]+)\\) fully paid`, 'g'),
    expected: (face) => `${face.holder} | ${face.sharesInWords} | ${face.sharesInFigures}`,
  },
  { field: 'issue date', pattern: /Issued (\w+ \d{1,2}, \d{4})/g, expected: (face) => face.issuedOn },
  { field: 'digest', pattern: /Digest ((?:[0-9A-Fa-f]{4} ?){4})/g, expected: (face) => face.groupedDigest },
  { field: 'signing key', pattern: new RegExp(`${SIGNED_LABELS.key} (\\S+)`, 'g'), expected: (face) => face.signed?.keyId ?? '' },
  { field: 'signing time', pattern: new RegExp(`${SIGNED_LABELS.at} (\\S+)`, 'g'), expected: (face) => face.signed?.signedAt ?? '' },
  { field: 'signed head', pattern: new RegExp(`${SIGNED_LABELS.head} (\\S+)`, 'g'), expected: (face) => face.signed?.headHash ?? '' },
];

/**
 * Pdftotext breaks lines where the page does, and a word too long for a line is broken inside it;
 * so spaces are not compared. Moving a space is all that lets through: any letter, digit or mark
 * added, removed or changed is a difference.
 */
const comparable = (text: string): string => text.replace(/\s+/g, '');

/**
 * Where the printed page differs from the certificate its proof signs: each field printed exactly
 * once and equal to the signed one, or a sentence saying which is not. The company and the class's
 * name are the issuer's letterhead, not signed, and not compared (the class's code is, in the number).
 */
export function printedDifferences(pageText: string, signed: CertificateFace): string[] {
  const text = pageText.replace(/\s+/g, ' ').trim();
  return [
    ...PRINTED.flatMap(({ field, pattern, expected }) => {
      const found = [...text.matchAll(pattern)].map((match) => match.slice(1).join(' | '));
      if (found.length !== 1) return [`the paper prints its ${field} ${found.length === 0 ? 'nowhere' : `${found.length} times`}`];
      const want = expected(signed);
      return comparable(found[0]!) === comparable(want)
        ? []
        : [`the printed ${field} ${JSON.stringify(found[0])} is not the signed ${JSON.stringify(want)}`];
    }),
    ...termsDifferences(text, signed),
  ];
}

/**
 * The signed terms the page does not print: each of them after its label, and each legend the
 * certificate bears by its id (a legend left off the paper would free the shares of it). The
 * legends' text is the log's legend templates', not signed with the certificate, and not compared.
 */
function termsDifferences(text: string, signed: CertificateFace): string[] {
  const page = comparable(text);
  return [
    ...signed.particulars
      .filter(([label, value]) => !page.includes(comparable(`${label} ${value}`)))
      .map(([label, value]) => `the paper does not print the signed ${label.toLowerCase()} ${JSON.stringify(value)}`),
    ...signed.legends
      .filter(({ id }) => !page.includes(comparable(`(legend ${id})`)))
      .map(({ id }) => `the paper does not print legend ${JSON.stringify(id)}, which the certificate bears`),
  ];
}
