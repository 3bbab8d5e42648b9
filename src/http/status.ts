import type { ErrorCode } from '../core/errors.js';

/** The only place error codes become HTTP statuses. */
export const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  invalid_json: 400,
  invalid_body: 400,
  invalid_name: 400,
  invalid_amount: 400,
  invalid_class: 400,
  unknown_class: 400,
  invalid_certificate_id: 400,
  invalid_digest: 400,
  invalid_idempotency_key: 400,
  idempotency_key_reused: 422,
  unsupported_media_type: 415,
  not_acceptable: 406,
  payload_too_large: 413,
  request_timeout: 408,
  not_found: 404,
  not_signed: 404,
  method_not_allowed: 405,
  unauthenticated: 401,
  insufficient_scope: 403,
  too_many_requests: 429,
  overloaded: 503,
  insufficient_shares: 409,
  log_unavailable: 503,
  signing_unavailable: 503,
  no_writer: 503,
  not_writer: 503,
  writer_unreachable: 503,
  shutting_down: 503,
  not_ready: 503,
  invalid_config: 500,
  internal: 500,
};

/** Seconds a client should wait before retrying a retryable error. */
export const RETRY_AFTER_SECONDS = 1;
