import type { Certificate, IssueRequest, Issued } from '../core/certificate.js';
import type { EventDone, EventRequest, LoggedEvent } from '../core/events.js';
import { CertificateError, ERROR_CODES, type ErrorCode } from '../core/errors.js';
import type { Proof, SignedHead } from '../core/seal.js';

/** Where a follower sends the requests it forwards, many in one call. */
export const FORWARD_PATH = '/internal/issue';

/** Requests in one forwarded call, at most: an actor's batch. */
export const MAX_FORWARDED_REQUESTS = 500;

/**
 * A forwarded call's body: each request is the client's body with its `Idempotency-Key`, if it had
 * one, as `idempotencyKey`, and the `principal` and `requestId` it was answered under at the
 * follower's edge (src/http/forwarded.ts parseForwarded checks each).
 */
export interface ForwardBody {
  readonly requests: readonly IssueRequest[];
}

/** A proof as a forwarded answer carries it: its seal by its place in the answer's `seals`. */
export type ForwardedProof = Omit<Proof, 'seal'> & { readonly seal: number };

/**
 * One answer per request, in order: the certificate, with its proof when its write was signed (a
 * replay's too, so the follower's client gets the receipt the writer's would), or the error the
 * writer would have answered.
 */
export type ForwardResult =
  | { readonly certificate: Certificate; readonly replayed?: true; readonly proof?: ForwardedProof }
  | { readonly error: { readonly code: ErrorCode; readonly message: string } & Readonly<Record<string, unknown>> };

/**
 * A forwarded call's answer: its results, and the signed heads their proofs name, each once. The
 * requests of one call share a few writes, and a head is most of a proof's bytes (more, the more
 * classes there are): sent with every proof, a call's answer would outgrow what a follower reads.
 */
export interface ForwardAnswer {
  readonly results: readonly ForwardResult[];
  readonly seals?: readonly SignedHead[];
}

export function encodeAnswer(outcomes: ReadonlyArray<Issued | CertificateError>): ForwardAnswer {
  const seals: SignedHead[] = [];
  const places = new Map<number, number>();
  const results = outcomes.map((outcome): ForwardResult => {
    if (outcome instanceof CertificateError) return { error: { ...outcome.details, code: outcome.code, message: outcome.message } };
    const { certificate, replayed, proof } = outcome;
    const result = { certificate, ...(replayed ? { replayed } : {}) };
    if (proof === undefined) return result;
    let place = places.get(proof.seal.offset);
    if (place === undefined) {
      place = seals.push(proof.seal) - 1;
      places.set(proof.seal.offset, place);
    }
    const { valueHash, index, path } = proof;
    return { ...result, proof: { valueHash, index, path, seal: place } };
  });
  return seals.length === 0 ? { results } : { results, seals };
}

/** The writer's answer back into what the follower's edge answers its clients; throws when a proof names a head it lacks. */
export function decodeAnswer(answer: ForwardAnswer): Array<Issued | CertificateError> {
  return answer.results.map((result) => decodeResult(result, answer.seals ?? []));
}

/** One of the writer's results back into what the follower's edge answers its client. */
export function decodeResult(result: ForwardResult, seals: readonly SignedHead[] = []): Issued | CertificateError {
  if ('certificate' in result) {
    const { certificate, replayed, proof } = result;
    const issued = { certificate, replayed: replayed === true };
    if (proof === undefined) return issued;
    const seal = seals[proof.seal];
    if (seal === undefined)
      throw new Error(`Expected the writer's answer to hold the signed head its proof names (${proof.seal}), got none`);
    return { ...issued, proof: { valueHash: proof.valueHash, index: proof.index, path: proof.path, seal } };
  }
  return decodeError(result.error);
}

/** The writer's error as the follower's edge answers it: a code it does not know is `internal`. */
function decodeError(error: Extract<ForwardResult, { readonly error: unknown }>['error']): CertificateError {
  const { code, message, ...details } = error;
  const known = (ERROR_CODES as readonly string[]).includes(code) ? code : 'internal';
  return new CertificateError(known, message, { details });
}

/**
 * Where a follower sends an event request, one a call: events are rare beside issuances, and one
 * that waits for another's call would only wait longer.
 */
export const ACT_PATH = '/internal/act';

/** A forwarded event: the request as the follower's edge parsed it (src/http/forwarded.ts parseForwardedEvent checks it again). */
export interface ActBody {
  readonly request: EventRequest;
}

/** The writer's answer to a forwarded event: what it did, or the error it would have answered. */
export type ActResult =
  | { readonly event: LoggedEvent; readonly results: readonly Certificate[]; readonly replayed?: true }
  | Extract<ForwardResult, { readonly error: unknown }>;

export function encodeActResult(outcome: EventDone | CertificateError): ActResult {
  if (outcome instanceof CertificateError) return { error: { ...outcome.details, code: outcome.code, message: outcome.message } };
  const { event, results, replayed } = outcome;
  return { event, results, ...(replayed ? { replayed } : {}) };
}

export function decodeActResult(result: ActResult): EventDone | CertificateError {
  if ('event' in result) return { event: result.event, results: result.results, replayed: result.replayed === true };
  return decodeError(result.error);
}
