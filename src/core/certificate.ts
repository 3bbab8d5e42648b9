import type { Proof } from './seal.js';
import { CLASS_CODE_PATTERN } from './share-class.js';
import type { Terms } from './terms.js';

/** What a client asks for, after validation: the HTTP edge guarantees these invariants. */
export interface IssueRequest {
  readonly class: string;
  readonly name: string;
  readonly amount: number;
  /** What a cap table records of the issuance beyond holder and amount (src/core/terms.ts). */
  readonly terms?: Terms;
  /** The client's `Idempotency-Key`: every request of the same principal with it gets the one certificate issued for it. */
  readonly idempotencyKey?: string;
  /** The id of the principal who asks (src/core/principal.ts): the record names it as the issuer. */
  readonly principal: string;
  /** The `Request-Id` the client was answered with (src/http/request-id.ts), also when forwarded to the writer. */
  readonly requestId: string;
  /**
   * An import's only (src/ocf/import.ts): when the certificate was issued where it came from, kept as
   * its `issuedAt`. The edge and forwarded requests never set it: a certificate issued here is issued now.
   */
  readonly at?: string;
}

/** What a request's body and `Idempotency-Key` ask for, before the edge adds who asks. */
export type Asked = Omit<IssueRequest, 'principal' | 'requestId'>;

/** The request `principal` makes under `requestId`: spelled out, one shape for every request. */
export function issueRequest(asked: Asked, principal: string, requestId: string): IssueRequest {
  const { class: shareClass, name, amount, terms, idempotencyKey } = asked;
  return { class: shareClass, name, amount, ...(terms === undefined ? {} : { terms }), idempotencyKey, principal, requestId };
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
  /** The holder's id, legends and the issuance's approval, price and exemption, when given (src/core/terms.ts). */
  readonly terms?: Terms;
  /** The offset of the event that issued it (a transfer's, a reissuance's, a partial cancellation's balance); absent when issued alone. */
  readonly origin?: number;
}

/**
 * A request's answer: the certificate, whether an earlier request with its idempotency key had it
 * issued, and when this request's write was signed, the certificate's proof (its receipt).
 */
export interface Issued {
  readonly certificate: Certificate;
  readonly replayed: boolean;
  readonly proof?: Proof;
}

/**
 * A certificate as the log carries it. `offset` is where its writer expected it to land and
 * `request` names the request it answers (both absent in records written before scale-out): with
 * them the log alone decides which records are certificates (src/core/validity.ts), and a writer
 * recognises its own earlier attempt of a request instead of issuing it twice. `idempotencyKey` is
 * the client's key, when it sent one: any instance, any later life of one, finds the certificate
 * a retry asks for in the log. `principal` and `requestId` say who asked and under which
 * `Request-Id` they were answered (src/core/provenance.ts); records written before those existed
 * carry neither: their principal is unknown. `seal` is the offset of the seal record that signs the
 * write this record belongs to (src/core/seal.ts); records written before signing carry none.
 */
export interface CertificateRecord extends Certificate {
  readonly offset?: number;
  readonly request?: string;
  readonly idempotencyKey?: string;
  readonly principal?: string;
  readonly requestId?: string;
  readonly seal?: number;
}

/** The certificate a record carries, without what only the log's rule needs. */
export function certificateOf(record: CertificateRecord): Certificate {
  const { id, class: shareClass, number, name, amount, issuedAt, sharesIssued, terms, origin } = record;
  return {
    id,
    class: shareClass,
    number,
    name,
    amount,
    issuedAt,
    sharesIssued,
    ...(terms === undefined ? {} : { terms }),
    ...(origin === undefined ? {} : { origin }),
  };
}

/**
 * The record of a certificate, holding only the optional fields that are set: how a record is
 * decoded, and how a writer states one at its offset. Spelled out field by field rather than as
 * `{ ...record, offset }`, for the garbage collector: in Node 20's V8 an object literal that starts
 * with a spread and then adds a property survives the scavenges though nothing refers to it (a loop
 * making 3 million and keeping none: 3.7 MB promoted per scavenge, against none for the same object
 * spelled out, for `{ ...record }` alone or for Object.assign). The writer's copies were ~40% of
 * everything the service's scavenges promoted (docs/benchmark.md, "What the scavenges kept").
 */
export function certificateRecord(
  certificate: Certificate,
  offset: number | undefined,
  request: string | undefined,
  idempotencyKey: string | undefined,
  principal: string | undefined,
  requestId: string | undefined,
  seal: number | undefined,
): CertificateRecord {
  const { id, class: shareClass, number, name, amount, issuedAt, sharesIssued, terms, origin } = certificate;
  return {
    id,
    class: shareClass,
    number,
    name,
    amount,
    issuedAt,
    sharesIssued,
    ...(terms === undefined ? {} : { terms }),
    ...(origin === undefined ? {} : { origin }),
    ...(offset === undefined ? {} : { offset }),
    ...(request === undefined ? {} : { request }),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    ...(principal === undefined ? {} : { principal }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(seal === undefined ? {} : { seal }),
  };
}

export function certificateId(shareClass: string, number: number): string {
  return `${shareClass}-${number}`;
}

/** A certificate number as ids spell it: from 1, no leading zeros, at most 15 digits (always a safe integer). */
export const CERTIFICATE_NUMBER_PATTERN = '[1-9][0-9]{0,14}';
/** A certificate id: class code, dash, number. */
export const CERTIFICATE_ID_PATTERN = `^(${CLASS_CODE_PATTERN})-(${CERTIFICATE_NUMBER_PATTERN})$`;

const ID = new RegExp(CERTIFICATE_ID_PATTERN);

/** Splits `CS-12` into class and number; undefined when the text cannot be a certificate id. */
export function parseCertificateId(id: string): { readonly class: string; readonly number: number } | undefined {
  const match = ID.exec(id);
  return match ? { class: match[1]!, number: Number(match[2]) } : undefined;
}

/** The longest `Idempotency-Key` taken (the length Stripe allows). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/**
 * An idempotency key: 1 to 255 printable ASCII characters, so it reads and greps as-is in the trail;
 * no space first or last, because HTTP strips those from a header before the server sees it.
 */
export const IDEMPOTENCY_KEY_PATTERN = `^[\\x21-\\x7E](?:[\\x20-\\x7E]{0,${MAX_IDEMPOTENCY_KEY_LENGTH - 2}}[\\x21-\\x7E])?$`;

const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

/** Whether a client may send this `Idempotency-Key`. */
export function isIdempotencyKey(text: string): boolean {
  return IDEMPOTENCY_KEY.test(text);
}

// Records were first written when a key could start or end with a space; a log's verdicts must never
// change, so a record's key is judged by that first, looser rule.
const RECORDED_KEY = new RegExp(`^[\\x20-\\x7E]{1,${MAX_IDEMPOTENCY_KEY_LENGTH}}$`);

/** Whether a record may carry this idempotency key (src/core/record-format.ts). */
export function isRecordedIdempotencyKey(text: string): boolean {
  return RECORDED_KEY.test(text);
}
