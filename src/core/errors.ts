/**
 * The one error vocabulary of the service. Every failure a client or operator can see is a
 * CertificateError with a code from this closed list; `src/http/status.ts` maps codes to HTTP.
 * `canRetry` tells a caller whether the same request may succeed later (the log came back)
 * or is final (the request itself is wrong, or the shares are gone).
 */
export const ERROR_CODES = [
  'invalid_json',
  'invalid_body',
  'invalid_name',
  'invalid_amount',
  'invalid_class',
  'unknown_class',
  'invalid_certificate_id',
  'invalid_digest',
  'invalid_idempotency_key',
  'idempotency_key_reused',
  'unsupported_media_type',
  'not_acceptable',
  'payload_too_large',
  'request_timeout',
  'not_found',
  'not_signed',
  'method_not_allowed',
  'unauthenticated',
  'insufficient_scope',
  'csrf_failed',
  'too_many_requests',
  'overloaded',
  'insufficient_shares',
  'unknown_certificate',
  'certificate_not_outstanding',
  'certificate_stopped',
  'shares_not_conserved',
  'below_outstanding',
  'unknown_legend',
  'duplicate_legend',
  'ledger_not_empty',
  'invalid_import',
  'log_unavailable',
  'signing_unavailable',
  'no_writer',
  'not_writer',
  'writer_unreachable',
  'shutting_down',
  'not_ready',
  'invalid_config',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'log_unavailable',
  'signing_unavailable',
  'no_writer',
  'not_writer',
  'writer_unreachable',
  'shutting_down',
  'not_ready',
  'request_timeout',
  'too_many_requests',
  'overloaded',
]);

export interface ErrorOptions {
  readonly cause?: unknown;
  /** Facts a client can act on (e.g. `requested`, `remaining`); serialised beside code and message. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class CertificateError extends Error {
  readonly code: ErrorCode;
  readonly canRetry: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    // No stack: a CertificateError is an answer (a refusal, a bad request, the log being away), and
    // its code and message say all of it; a fault it wraps keeps its own stack in `cause`. Capturing
    // one was 11% of the CPU a 409 cost (docs/benchmark.md, "A refusal").
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'CertificateError';
    this.code = code;
    this.canRetry = RETRYABLE.has(code);
    this.details = options.details ?? {};
  }
}

export function isCertificateError(value: unknown): value is CertificateError {
  return value instanceof CertificateError;
}

/** Wraps any failure of the log as the retryable `log_unavailable`, keeping the original as cause. */
export function logUnavailable(cause: unknown, what: string): CertificateError {
  // Already one of ours (the log's, or signing's): it says more than a wrapper would.
  if (isCertificateError(cause)) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CertificateError('log_unavailable', `The certificate log is unavailable (${what}: ${reason}); retry later`, { cause });
}
