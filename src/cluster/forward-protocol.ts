import type { Certificate, IssueRequest, Issued } from '../core/certificate.js';
import { CertificateError, ERROR_CODES, type ErrorCode } from '../core/errors.js';

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

/** One answer per request, in order: the certificate, or the error the writer would have answered. */
export type ForwardResult =
  | { readonly certificate: Certificate; readonly replayed?: true }
  | { readonly error: { readonly code: ErrorCode; readonly message: string } & Readonly<Record<string, unknown>> };

export function encodeResult(outcome: Issued | CertificateError): ForwardResult {
  if (outcome instanceof CertificateError) return { error: { ...outcome.details, code: outcome.code, message: outcome.message } };
  return outcome.replayed ? { certificate: outcome.certificate, replayed: true } : { certificate: outcome.certificate };
}

/** The writer's answer back into what the follower's edge answers its client. */
export function decodeResult(result: ForwardResult): Issued | CertificateError {
  if ('certificate' in result) return { certificate: result.certificate, replayed: result.replayed === true };
  const { code, message, ...details } = result.error;
  const known = (ERROR_CODES as readonly string[]).includes(code) ? code : 'internal';
  return new CertificateError(known, message, { details });
}
