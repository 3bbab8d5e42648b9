import type { Certificate } from '../core/certificate.js';
import type { LegendTemplate } from '../core/events.js';
import type { Standing } from '../core/log-state.js';
import type { Proof } from '../core/seal.js';
import type { Terms } from '../core/terms.js';
import { certificateDigest, groupDigest } from './digest.js';
import { proofLink } from './proof-link.js';
import { QR_MAX_BYTES } from './qr.js';
import { closedNote, printedDate, type ClosedNote } from './standing.js';
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
  /**
   * What the QR code holds: for a signed certificate the public verification page with the whole
   * proof in its fragment (src/paper/proof-link.ts); for one from before signing, the link the
   * service checks (GET /certificates/{id}/verify), also printed.
   */
  readonly verifyUrl: string;
  /** A signed certificate's seal, printed for a person to compare by hand with the log's or a verifier's. */
  readonly signed?: SignedFace;
  /** What its terms say besides its legends, as label and value (TERMS_LABELS), in that order. */
  readonly particulars: ReadonlyArray<readonly [label: string, value: string]>;
  /** The restrictive legends it bears, each in full, noted conspicuously (DGCL §202). */
  readonly legends: readonly LegendTemplate[];
  /** Set once an event closed it: the paper then carries the mark across its face. */
  readonly closed?: ClosedNote;
}

/** What the paper prints before each of its terms: `npm run verify` reads the paper back by them. */
export const TERMS_LABELS = {
  holder: 'Holder id',
  approvedOn: 'Board approval',
  price: 'Price per share',
  exemption: 'Exemption',
} as const;

/** The heading of the legends' block on the face. */
export const LEGENDS_HEADING = 'RESTRICTIVE LEGENDS';
/** What the face says of legends too long for it, under their headings. */
export const LEGENDS_OVERLEAF = 'The full text of each legend above is printed on the reverse of this certificate.';

/** A legend's heading, its name in capitals and its id: what `npm run verify` finds for each legend the certificate bears. */
export function legendHeading(legend: LegendTemplate): string {
  return `${legend.name.toUpperCase()} (legend ${legend.id})`;
}

export interface SignedFace {
  readonly keyId: string;
  readonly signedAt: string;
  /** The signed head's hash (SHA-256 of "head:" + its text): what the next head names, and the log's readers show. */
  readonly headHash: string;
}

/** The labels of a signed certificate's seal as printed: `npm run verify` reads the paper back by them. */
export const SIGNED_LABELS = { key: 'Signing key', at: 'Signed at', head: 'Signed head' } as const;

/** What a signed paper says of its QR code, in both renderers. */
export const VERIFY_NOTE =
  'Scan the code: the page it opens checks the signature on the phone and sends nothing anywhere. The code holds the whole proof: the Merkle path and the signed head.';

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

/** The verification address of a certificate: its digest, checked by GET /certificates/{id}/verify. */
export function verifyUrl(baseUrl: string, certificate: Certificate, digest = certificateDigest(certificate)): string {
  return `${baseUrl.replace(/\/+$/, '')}/certificates/${certificate.id}/verify?digest=${digest}`;
}

/**
 * What the QR code of a signed certificate holds and the paper prints of its seal; undefined for a
 * proof too long for any QR code (a head naming very many classes): that paper is printed as before
 * signing, with the service's link, which the service checks.
 */
function carriedProof(baseUrl: string, certificate: Certificate, proof: Proof): Pick<CertificateFace, 'verifyUrl' | 'signed'> | undefined {
  const link = proofLink(baseUrl, certificate, proof);
  if (Buffer.byteLength(link) > QR_MAX_BYTES) return undefined;
  const { head, hash } = proof.seal;
  return { verifyUrl: link, signed: { keyId: head.key, signedAt: head.at, headHash: hash } };
}

/** The terms other than legends, labelled as printed; a date as the paper prints dates. */
export function particulars(terms: Terms | undefined): Array<readonly [string, string]> {
  if (terms === undefined) return [];
  const { holder, approvedOn, price, exemption } = terms;
  return [
    ...(holder === undefined ? [] : [[TERMS_LABELS.holder, holder] as const]),
    ...(approvedOn === undefined ? [] : [[TERMS_LABELS.approvedOn, printedDate(`${approvedOn}T00:00:00Z`)] as const]),
    ...(price === undefined ? [] : [[TERMS_LABELS.price, `${price.amount} ${price.currency}`] as const]),
    ...(exemption === undefined ? [] : [[TERMS_LABELS.exemption, exemption] as const]),
  ];
}

/** What the log says beyond the certificate itself: the legend templates it defines, and where the certificate stands. */
export interface Surroundings {
  readonly legends?: readonly LegendTemplate[];
  readonly standing?: Standing;
}

/** The legends a certificate bears, in its order; one the log does not define (which the rule never lets it bear) is named by its id. */
function borne(terms: Terms | undefined, defined: readonly LegendTemplate[]): LegendTemplate[] {
  return (terms?.legends ?? []).map(
    (id) => defined.find((legend) => legend.id === id) ?? { id, name: id, text: `Legend ${id}: its text is not in the log.` },
  );
}

/**
 * The face of a certificate; with its proof (a signed one) the QR code carries the proof and the seal
 * is printed; with its surroundings, its legends in full and, once closed, the mark.
 */
export function certificateFace(
  certificate: Certificate,
  letterhead: Letterhead,
  baseUrl: string,
  proof?: Proof,
  surroundings: Surroundings = {},
): CertificateFace {
  const digest = certificateDigest(certificate);
  const closed = surroundings.standing === undefined ? undefined : closedNote(surroundings.standing);
  return {
    company: letterhead.companyName,
    className: className(letterhead, certificate.class),
    id: certificate.id,
    holder: certificate.name,
    sharesInFigures: numberInFigures(certificate.amount),
    sharesInWords: numberInWords(certificate.amount),
    issuedOn: printedDate(certificate.issuedAt),
    issuedAt: certificate.issuedAt,
    digest,
    groupedDigest: groupDigest(digest),
    ...((proof === undefined ? undefined : carriedProof(baseUrl, certificate, proof)) ?? {
      verifyUrl: verifyUrl(baseUrl, certificate, digest),
    }),
    particulars: particulars(certificate.terms),
    legends: borne(certificate.terms, surroundings.legends ?? []),
    ...(closed === undefined ? {} : { closed }),
  };
}

export const CERTIFIES = 'This certifies that';
export const HOLDS = 'is the registered holder of';

/** The sentence that makes the paper a certificate, in the parts a certificate sets apart: the holder and the shares stand out. */
export function certification(
  face: CertificateFace,
): readonly [lead: string, holder: string, middle: string, shares: string, tail: string] {
  return [
    CERTIFIES,
    face.holder,
    HOLDS,
    `${face.sharesInWords} (${face.sharesInFigures})`,
    `fully paid and non-assessable shares of ${face.className} of ${face.company}, transferable only on the books of the company.`,
  ];
}
