import { isIdempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH, type Asked } from '../core/certificate.js';
import { CertificateError } from '../core/errors.js';

export const MAX_NAME_LENGTH = 200;

// JavaScript's whitespace, exactly what String.prototype.trim removes, spelled so that Python's and
// ECMAScript's regular expressions read the pattern alike (\s differs between them).
const SPACE = '\\t\\n\\u000b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
const CONTROL_CHARACTERS = '\\u0000-\\u001f\\u007f-\\u009f';
/**
 * The name rule of parseIssueRequest as one regular expression, for the API document: after trimming,
 * 1 to 200 characters, none of them a control character. (It cannot also say "no unpaired
 * surrogate": schema validators such as Rust's regex have no way to name one; the document says it
 * in words.) test/http/validate.test.ts proves the pattern and the parser agree.
 */
export const NAME_PATTERN = `^[${SPACE}]*[^${SPACE}${CONTROL_CHARACTERS}](?:[^${CONTROL_CHARACTERS}]{0,${MAX_NAME_LENGTH - 2}}[^${SPACE}${CONTROL_CHARACTERS}])?[${SPACE}]*$`;
const FIELDS: ReadonlySet<string> = new Set(['name', 'amount', 'class']);
// Control characters would corrupt the line-by-line audit trail; lone surrogates cannot round-trip UTF-8.
const CONTROL = /\p{Cc}/u;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number') return String(value);
  return `a ${typeof value}`;
}

/**
 * The `Idempotency-Key` header (or a forwarded request's key): absent is fine, anything present
 * must be a key (src/core/certificate.ts).
 */
export function parseIdempotencyKey(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !isIdempotencyKey(raw)) {
    const length = typeof raw === 'string' ? `${raw.length} characters` : describe(raw);
    throw new CertificateError(
      'invalid_idempotency_key',
      `Expected Idempotency-Key to be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, not a space first or last, got ${length}${
        typeof raw === 'string' && raw.length > 0 && raw.length <= MAX_IDEMPOTENCY_KEY_LENGTH ? ' with others among them' : ''
      }`,
    );
  }
  return raw;
}

/** Checks the shape of an issue request; which classes exist is the sequencers' business. */
export function parseIssueRequest(body: unknown, idempotencyKey?: string): Asked {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new CertificateError('invalid_body', `Expected a JSON object {"name","amount","class"}, got ${describe(body)}`);
  }
  // Own keys only, compared as strings: a "__proto__" key from JSON.parse is refused, never followed.
  const unexpected = Object.keys(body).filter((key) => !FIELDS.has(key));
  if (unexpected.length > 0) {
    throw new CertificateError(
      'invalid_body',
      `Expected only the fields name, amount, class, got also ${unexpected.map((key) => JSON.stringify(key)).join(', ')}`,
    );
  }
  const { name, amount, class: shareClass } = body as Record<string, unknown>;

  if (typeof shareClass !== 'string' || shareClass.length === 0) {
    throw new CertificateError('invalid_class', `Expected \`class\` to be a share class code such as "CS", got ${describe(shareClass)}`);
  }
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 1) {
    throw new CertificateError(
      'invalid_amount',
      `Expected \`amount\` to be a whole number of shares from 1 to ${Number.MAX_SAFE_INTEGER}, got ${describe(amount)}`,
    );
  }
  if (typeof name !== 'string') throw new CertificateError('invalid_name', `Expected \`name\` to be a string, got ${describe(name)}`);
  const trimmed = name.trim();
  const length = [...trimmed].length;
  if (length < 1 || length > MAX_NAME_LENGTH) {
    throw new CertificateError(
      'invalid_name',
      `Expected \`name\` to have 1 to ${MAX_NAME_LENGTH} characters after trimming, got ${length}`,
    );
  }
  if (!trimmed.isWellFormed() || CONTROL.test(trimmed)) {
    throw new CertificateError('invalid_name', 'Expected `name` without control characters or unpaired surrogates');
  }
  return idempotencyKey === undefined
    ? { class: shareClass, name: trimmed, amount }
    : { class: shareClass, name: trimmed, amount, idempotencyKey };
}
