import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEY_PATTERN } from '../../src/core/certificate.js';
import { NAME_PATTERN, parseIdempotencyKey, parseIssueRequest } from '../../src/http/validate.js';

function nameAccepted(name: string): boolean {
  try {
    parseIssueRequest({ name, amount: 1, class: 'CS' });
    return true;
  } catch {
    return false;
  }
}

describe('parseIssueRequest', () => {
  it('returns the request with the name trimmed', () => {
    expect(parseIssueRequest({ name: '  Salt Bae ', amount: 10, class: 'CS' })).toEqual({ name: 'Salt Bae', amount: 10, class: 'CS' });
  });

  it('refuses a __proto__ key parsed from JSON without following it', () => {
    const body = JSON.parse('{"name":"a","amount":1,"class":"CS","__proto__":{"amount":5}}') as unknown;
    expect(() => parseIssueRequest(body)).toThrow(expect.objectContaining({ code: 'invalid_body' }));
    expect(({} as Record<string, unknown>).amount).toBeUndefined();
  });

  it('says what was expected and what came', () => {
    expect(() => parseIssueRequest({ name: 'a', amount: -3, class: 'CS' })).toThrow(
      'Expected `amount` to be a whole number of shares from 1 to 9007199254740991, got -3',
    );
  });

  it('counts name length in characters, not UTF-16 units', () => {
    expect(parseIssueRequest({ name: '😀'.repeat(200), amount: 1, class: 'CS' }).name).toHaveLength(400);
    expect(() => parseIssueRequest({ name: '😀'.repeat(201), amount: 1, class: 'CS' })).toThrow(
      expect.objectContaining({ code: 'invalid_name' }),
    );
  });
});

describe('parseIdempotencyKey', () => {
  it('takes no header as no key, and 1 to 255 printable ASCII characters as the key, spaces and symbols included', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    for (const key of ['k', 'order 7 ~!"{}', 'x'.repeat(255)]) expect(parseIdempotencyKey(key)).toBe(key);
  });

  it.each([
    ['an empty header', '', 'got 0 characters'],
    ['256 characters', 'x'.repeat(256), 'got 256 characters'],
    ['a non-ASCII character', 'caf\u00e9', 'got 4 characters with others among them'],
    ['a control character', 'tab\there', 'with others among them'],
    ['the header sent twice', ['a', 'b'], 'got'],
  ])('refuses %s with invalid_idempotency_key, saying what was expected and what came', (_, raw, message) => {
    expect(() => parseIdempotencyKey(raw)).toThrow(expect.objectContaining({ code: 'invalid_idempotency_key' }));
    expect(() => parseIdempotencyKey(raw)).toThrow(message);
  });

  it('carries the key into the request it belongs to', () => {
    expect(parseIssueRequest({ name: 'Ada', amount: 1, class: 'CS' }, 'k-1')).toEqual({
      name: 'Ada',
      amount: 1,
      class: 'CS',
      idempotencyKey: 'k-1',
    });
  });
});

describe('the API document says exactly what the parser does', () => {
  const pattern = new RegExp(NAME_PATTERN, 'u');
  // Names made of the characters where the rules have edges: whitespace of every kind, control
  // characters, letters beyond the BMP, and lengths around 200.
  const edgy = fc.constantFrom(
    ' ',
    '\t',
    '\n',
    '\u00a0',
    '\u2028',
    '\ufeff',
    '\u3000',
    '\u0000',
    '\u001f',
    '\u007f',
    '\u0085',
    '\u009f',
    'a',
    'é',
    '😀',
    '\u180e',
  );
  const names = fc.oneof(
    fc.array(edgy, { maxLength: 12 }).map((parts) => parts.join('')),
    fc
      .tuple(fc.array(edgy, { maxLength: 3 }), fc.integer({ min: 195, max: 205 }), fc.array(edgy, { maxLength: 3 }))
      .map(([before, length, after]) => `${before.join('')}${'x'.repeat(length)}${after.join('')}`),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
  );

  it('a name matches NAME_PATTERN exactly when parseIssueRequest accepts it (unpaired surrogates aside, which the document states in words)', () => {
    fc.assert(
      fc.property(names, (name) => {
        expect(pattern.test(name)).toBe(nameAccepted(name));
      }),
      { numRuns: 3000 },
    );
    expect(nameAccepted('a\ud800')).toBe(false);
  });

  it('an Idempotency-Key matches IDEMPOTENCY_KEY_PATTERN exactly when it is taken, and no taken key starts or ends with a space', () => {
    const key = new RegExp(IDEMPOTENCY_KEY_PATTERN);
    const keys = fc.oneof(
      fc.string({ unit: fc.constantFrom(' ', 'a', '~', '\t', '\u007f', 'é'), maxLength: 8 }),
      fc.integer({ min: 250, max: 260 }).map((length) => 'k'.repeat(length)),
    );
    fc.assert(
      fc.property(keys, (text) => {
        let taken: boolean;
        try {
          taken = parseIdempotencyKey(text) === text;
        } catch {
          taken = false;
        }
        expect(key.test(text)).toBe(taken);
        if (taken) expect(text.trim()).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});
