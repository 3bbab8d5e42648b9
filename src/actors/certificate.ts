/** What a client asks for, after validation: the HTTP edge guarantees these invariants. */
export interface IssueRequest {
  readonly class: string;
  readonly name: string;
  readonly amount: number;
}

/** A certificate exactly as committed to the log; `sharesIssued` is the class's running total. */
export interface Certificate {
  readonly id: string;
  readonly class: string;
  readonly number: number;
  readonly name: string;
  readonly amount: number;
  readonly issuedAt: string;
  readonly sharesIssued: number;
}

export function certificateId(shareClass: string, number: number): string {
  return `${shareClass}-${number}`;
}

/** What a share class code is, wherever one is read: configuration, ids, the API document. */
export const CLASS_CODE_PATTERN = '[A-Z]{1,16}';
/** A certificate id: class code, dash, a number from 1 without leading zeros. */
export const CERTIFICATE_ID_PATTERN = `^(${CLASS_CODE_PATTERN})-([1-9][0-9]{0,15})$`;

const ID = new RegExp(CERTIFICATE_ID_PATTERN);

/** Splits `CS-12` into class and number; undefined when the text cannot be a certificate id. */
export function parseCertificateId(id: string): { readonly class: string; readonly number: number } | undefined {
  const match = ID.exec(id);
  const number = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(number)) return undefined;
  return { class: match[1]!, number };
}
