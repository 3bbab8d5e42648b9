import { isIdempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH, type Asked } from '../core/certificate.js';
import { CertificateError } from '../core/errors.js';

export const MAX_NAME_LENGTH = 200;
/**
 * A name's size in UTF-8 at most: 200 characters of at most 4 bytes. The character cap makes it
 * one: a lower byte cap could not be said in the API document (JSON Schema counts characters), so a
 * schema-valid name would be refused.
 */
export const MAX_NAME_BYTES = 4 * MAX_NAME_LENGTH;

/** The BMP's characters in `property`, as escaped ranges for a character class any regex dialect reads. */
function bmpRanges(property: RegExp): string {
  const hex = (code: number): string => `\\u${code.toString(16).padStart(4, '0')}`;
  let ranges = '';
  for (let code = 0, start = -1; code <= 0x10000; code += 1) {
    const taken = code < 0x10000 && property.test(String.fromCharCode(code));
    if (taken && start < 0) start = code;
    if (!taken && start >= 0) {
      ranges += start === code - 1 ? hex(start) : `${hex(start)}-${hex(code - 1)}`;
      start = -1;
    }
  }
  return ranges;
}

// Letters of one script: set intersection needs the v flag, which TypeScript's target cannot spell as a literal.
const lettersOf = (script: string): RegExp => new RegExp(`[\\p{L}&&\\p{Script=${script}}]`, 'v');

// JavaScript's whitespace, exactly what String.prototype.trim removes, spelled so that Python's and
// ECMAScript's regular expressions read the pattern alike (\s differs between them).
const SPACE = '\\t\\n\\u000b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
// Control characters, and format characters (\p{Cf}: bidi controls, zero-width ones, the BOM inside a name).
const REFUSED_CHARACTERS = `\\u0000-\\u001f\\u007f-\\u009f${bmpRanges(/\p{Cf}/u)}`;
/**
 * The name rule of parseIssueRequest as one regular expression, for the API document: after trimming,
 * 1 to 200 characters, none of them a control or format character. What it cannot say, the document
 * says in words: no unpaired surrogate and no format character beyond the BMP (schema validators
 * such as Rust's regex have no way to name them alike). test/http/validate.test.ts proves the
 * patterns and the parser agree on everything else.
 */
export const NAME_PATTERN = `^[${SPACE}]*[^${SPACE}${REFUSED_CHARACTERS}](?:[^${REFUSED_CHARACTERS}]{0,${MAX_NAME_LENGTH - 2}}[^${SPACE}${REFUSED_CHARACTERS}])?[${SPACE}]*$`;

const LATIN = bmpRanges(lettersOf('Latin'));
const GREEK = bmpRanges(lettersOf('Greek'));
const CYRILLIC = bmpRanges(lettersOf('Cyrillic'));
// A word here is a run of these letters and combining marks; any other character ends it.
const IN_WORD = `${LATIN}${GREEK}${CYRILLIC}${bmpRanges(/\p{M}/u)}`;
/**
 * What a name must not contain, for the API document (`not: {pattern}`): a word with letters of two
 * of the Latin, Greek and Cyrillic scripts, which is how "Аlice" (Cyrillic А) passes for "Alice".
 * Letters beyond the BMP are not counted, in the document and in the parser alike.
 */
export const MIXED_SCRIPT_PATTERN = `[${LATIN}][${IN_WORD}]*[${GREEK}${CYRILLIC}]|[${GREEK}][${IN_WORD}]*[${LATIN}${CYRILLIC}]|[${CYRILLIC}][${IN_WORD}]*[${LATIN}${GREEK}]`;

const FIELDS: ReadonlySet<string> = new Set(['name', 'amount', 'class']);
// Control characters would corrupt the line-by-line audit trail. Format characters are invisible, or
// reorder what follows (U+202E shows "Alice" written backwards, and differently on the page and the
// PDF): two holders who differ only by them look the same on paper. That takes the zero-width joiners
// too: emoji sequences cannot be printed by the PDF's font anyway, and a Persian or Indic name reads
// the same without them (docs/api.md).
const REFUSED = /[\p{Cc}\p{Cf}]/u;
const MIXED_SCRIPTS = new RegExp(MIXED_SCRIPT_PATTERN, 'u');
const WORD = new RegExp(`[${IN_WORD}]+`, 'gu');
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function lengthRefused(length: number): CertificateError {
  return new CertificateError('invalid_name', `Expected \`name\` to have 1 to ${MAX_NAME_LENGTH} characters after trimming, got ${length}`);
}

/** The holder's name as it is kept: trimmed, NFC, and refused unless every reader of it sees the same name. */
export function parseName(name: unknown): string {
  if (typeof name !== 'string') throw new CertificateError('invalid_name', `Expected \`name\` to be a string, got ${describe(name)}`);
  const trimmed = name.trim();
  // Most names are printable ASCII: already NFC, a byte a character, Latin only, no format character.
  if (PRINTABLE_ASCII.test(trimmed)) {
    if (trimmed.length < 1 || trimmed.length > MAX_NAME_LENGTH) throw lengthRefused(trimmed.length);
    return trimmed;
  }
  if (!trimmed.isWellFormed()) throw new CertificateError('invalid_name', 'Expected `name` without unpaired surrogates');
  // One spelling per name: "é" typed as e + U+0301 is the same holder as "é" typed at once.
  const normalized = trimmed.normalize('NFC');
  const length = [...normalized].length;
  if (length < 1 || length > MAX_NAME_LENGTH) throw lengthRefused(length);
  const refused = REFUSED.exec(normalized);
  if (refused !== null) {
    const code = `U+${refused[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new CertificateError(
      'invalid_name',
      `Expected \`name\` without control characters, bidirectional controls or invisible format characters, got ${code} at character ${[...normalized.slice(0, refused.index)].length + 1}`,
    );
  }
  if (MIXED_SCRIPTS.test(normalized)) {
    const word = [...normalized.matchAll(WORD)].find(([run]) => MIXED_SCRIPTS.test(run))![0];
    throw new CertificateError(
      'invalid_name',
      `Expected each word of \`name\` in one of the Latin, Greek or Cyrillic scripts, got ${JSON.stringify(word.slice(0, 40))} mixing them (it would look like another name)`,
    );
  }
  return normalized;
}

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
  const holder = parseName(name);
  return idempotencyKey === undefined
    ? { class: shareClass, name: holder, amount }
    : { class: shareClass, name: holder, amount, idempotencyKey };
}
