import { MAX_PRINCIPAL_ID_LENGTH } from './principal.js';

/**
 * Who asked for a certificate, and under which request id: what every new record carries, and what
 * scopes an idempotency key. Records written before this existed carry neither and read as
 * "principal unknown"; their keys keep the scope they always had, so no verdict on an old log changes.
 */

/** The longest request id a record may carry (the edge's own are ~28 characters, src/http/request-id.ts). */
export const MAX_REQUEST_ID_LENGTH = 64;

const REQUEST_ID = new RegExp(`^[\\x21-\\x7E]{1,${MAX_REQUEST_ID_LENGTH}}$`);

/** Whether a record, or a forwarded request, may carry this request id: 1 to 64 printable ASCII characters, no space. */
export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID.test(value);
}

/**
 * Whether a record, or a forwarded request, may carry this principal id. Any text the identity
 * layer builds (src/core/principal.ts principalId) up to MAX_PRINCIPAL_ID_LENGTH: JSON escapes what
 * would break a line of the trail, and a rule stricter than what a writer may write would make the
 * log void a certificate that was acknowledged.
 */
export function isPrincipalId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_PRINCIPAL_ID_LENGTH;
}

/** What the audit prints for a record written before records named their principal. */
export const UNKNOWN_PRINCIPAL = 'unknown';

/**
 * The one rule scoping an idempotency key: a principal's key never meets another's. The in-flight
 * requests, the log's remembered keys, snapshots and the audit all key by this. A record without a
 * principal keeps the bare key, the scope it was judged under when it was written. A key is
 * printable ASCII and so holds no NUL: the first NUL ends the key, and no scoped key equals a bare one
 * or another principal's.
 */
export function scopedKey(principal: string | undefined, key: string): string {
  // Joined, not a template: V8 keeps a template's result as a tree of its parts, and remembered keys
  // live long: a UUID key scoped to a 23-character principal held 261 bytes against 181 joined, and
  // 157 unscoped (npm run bench:key-memory).
  return principal === undefined ? key : [key, principal].join('\u0000');
}
