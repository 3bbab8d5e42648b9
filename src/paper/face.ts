import type { Certificate } from '../core/certificate.js';
import { certificateDigest, groupDigest } from './digest.js';
import { numberInFigures, numberInWords } from './words.js';

/** Who issues the paper and how its classes are called; from COMPANY_NAME and SHARE_CLASSES. */
export interface Letterhead {
  readonly companyName: string;
  /** Display name per class code, e.g. CS → Common Stock. */
  readonly classNames: Readonly<Record<string, string>>;
}

/** Everything printed on a certificate, decided once so the PDF and the HTML page say the same. */
export interface CertificateFace {
  readonly company: string;
  readonly className: string;
  readonly id: string;
  readonly holder: string;
  readonly sharesInFigures: string;
  readonly sharesInWords: string;
  /** The issue date, in UTC, e.g. "November 24, 2026". */
  readonly issuedOn: string;
  readonly issuedAt: string;
  readonly digest: string;
  readonly groupedDigest: string;
  /** Where whoever holds the paper checks it; also what the QR code holds. */
  readonly verifyUrl: string;
}

/** What CS and PS are called when SHARE_CLASSES gives them no name; any other class is called by its code. */
export const DEFAULT_CLASS_NAMES: Readonly<Record<string, string>> = { CS: 'Common Stock', PS: 'Preferred Stock' };

/** The letterhead of a company whose classes are configured as SHARE_CLASSES says. */
export function letterhead(companyName: string, classes: ReadonlyArray<{ readonly code: string; readonly name?: string }>): Letterhead {
  return {
    companyName,
    classNames: Object.fromEntries(classes.map(({ code, name }) => [code, name ?? DEFAULT_CLASS_NAMES[code] ?? code])),
  };
}

/** What the paper calls a class: its configured or default name, else its code. */
export function className(letterhead: Letterhead, code: string): string {
  return letterhead.classNames[code] ?? code;
}

const DATE = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' });

/** The verification address of a certificate: its digest, checked by GET /certificates/{id}/verify. */
export function verifyUrl(baseUrl: string, certificate: Certificate, digest = certificateDigest(certificate)): string {
  return `${baseUrl.replace(/\/+$/, '')}/certificates/${certificate.id}/verify?digest=${digest}`;
}

export function certificateFace(certificate: Certificate, letterhead: Letterhead, baseUrl: string): CertificateFace {
  const digest = certificateDigest(certificate);
  return {
    company: letterhead.companyName,
    className: className(letterhead, certificate.class),
    id: certificate.id,
    holder: certificate.name,
    sharesInFigures: numberInFigures(certificate.amount),
    sharesInWords: numberInWords(certificate.amount),
    issuedOn: DATE.format(new Date(certificate.issuedAt)),
    issuedAt: certificate.issuedAt,
    digest,
    groupedDigest: groupDigest(digest),
    verifyUrl: verifyUrl(baseUrl, certificate, digest),
  };
}

/** The sentence that makes the paper a certificate, in the parts a certificate sets apart: the holder and the shares stand out. */
export function certification(
  face: CertificateFace,
): readonly [lead: string, holder: string, middle: string, shares: string, tail: string] {
  return [
    'This certifies that',
    face.holder,
    'is the registered holder of',
    `${face.sharesInWords} (${face.sharesInFigures})`,
    `fully paid and non-assessable shares of ${face.className} of ${face.company}, transferable only on the books of the company.`,
  ];
}
