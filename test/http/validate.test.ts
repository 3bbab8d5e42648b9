import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEY_PATTERN } from '../../src/core/certificate.js';
import { MAX_NAME_BYTES, MIXED_SCRIPT_PATTERN, NAME_PATTERN, parseIdempotencyKey, parseIssueRequest } from '../../src/http/validate.js';

/** Undefined when the name is taken, else why it was refused. */
function refusal(name: string): string | undefined {
  try {
    parseIssueRequest({ name, amount: 1, class: 'CS' });
    return undefined;
  } catch (error) {
    return (error as Error).message;
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

  it('counts name length in characters, not UTF-16 units, which caps a name at 800 bytes of UTF-8', () => {
    const longest = parseIssueRequest({ name: '😀'.repeat(200), amount: 1, class: 'CS' }).name;
    expect(longest).toHaveLength(400);
    expect(Buffer.byteLength(longest)).toBe(MAX_NAME_BYTES);
    expect(() => parseIssueRequest({ name: '😀'.repeat(201), amount: 1, class: 'CS' })).toThrow(
      expect.objectContaining({ code: 'invalid_name', message: expect.stringContaining('got 201') }),
    );
  });

  it('keeps a name in NFC: "José" typed with a combining accent is the same holder as "José" typed at once', () => {
    const decomposed = 'Jose\u0301';
    expect(parseIssueRequest({ name: decomposed, amount: 1, class: 'CS' }).name).toBe('Jos\u00e9');
  });

  it.each([
    ['U+202E (right-to-left override)', 'Alice \u202eecilA', 'U+202E at character 7'],
    ['U+2066 (left-to-right isolate)', 'Alice \u2066Smith', 'U+2066'],
    ['U+2067 (right-to-left isolate)', 'Alice \u2067Smith', 'U+2067'],
    ['U+2068 (first strong isolate)', 'Alice \u2068Smith', 'U+2068'],
    ['U+2069 (pop directional isolate)', 'Alice Smith\u2069x', 'U+2069'],
    ['U+200E (left-to-right mark)', 'Alice\u200eSmith', 'U+200E'],
    ['U+061C (Arabic letter mark)', 'Alice\u061cSmith', 'U+061C'],
    ['U+200B (zero-width space)', 'Al\u200bice', 'U+200B at character 3'],
    ['U+200C (zero-width non-joiner)', 'Al\u200cice', 'U+200C'],
    ['U+200D (zero-width joiner), even between emoji', '\u{1F468}\u200d\u{1F469}', 'U+200D'],
    ['U+2060 (word joiner)', 'Al\u2060ice', 'U+2060'],
    ['U+FEFF inside the name', 'Al\ufeffice', 'U+FEFF'],
    ['U+00AD (soft hyphen)', 'Al\u00adice', 'U+00AD'],
    ['a format character beyond the BMP (U+E0041, a tag)', 'Alice\u{E0041}', 'U+E0041'],
  ])('refuses a name with %s as invalid_name, naming the character', (_, name, message) => {
    expect(() => parseIssueRequest({ name, amount: 1, class: 'CS' })).toThrow(expect.objectContaining({ code: 'invalid_name' }));
    expect(() => parseIssueRequest({ name, amount: 1, class: 'CS' })).toThrow(message);
  });

  it('refuses a word that mixes Latin with Cyrillic or Greek letters ("Аlice" with a Cyrillic А), and takes each script alone', () => {
    for (const name of ['\u0410lice', 'Alice Smi\u03c4h', 'Ива\u006e Petrov']) {
      expect(() => parseIssueRequest({ name, amount: 1, class: 'CS' })).toThrow(
        expect.objectContaining({ code: 'invalid_name', message: expect.stringContaining('mixing them') }),
      );
    }
    for (const name of ['Alice', 'Алиса', 'Ελένη Παπαδοπούλου', 'Иван Petrov', 'Zoë O’Brien-Smith', '山田太郎', 'محمد', 'O2 Ventures'])
      expect(parseIssueRequest({ name, amount: 1, class: 'CS' }).name).toBe(name);
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
    '\u202e',
    '\u2066',
    '\u200b',
    '\u200d',
    '\u00ad',
    '\u{E0041}',
    '\u0410',
    '\u03b1',
  );
  const names = fc.oneof(
    fc.array(edgy, { maxLength: 12 }).map((parts) => parts.join('')),
    fc
      .tuple(fc.array(edgy, { maxLength: 3 }), fc.integer({ min: 195, max: 205 }), fc.array(edgy, { maxLength: 3 }))
      .map(([before, length, after]) => `${before.join('')}${'x'.repeat(length)}${after.join('')}`),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
  );

  const mixed = new RegExp(MIXED_SCRIPT_PATTERN, 'u');
  // What the document states in words: format characters beyond the BMP.
  const STATED_IN_WORDS = /got U\+[0-9A-F]{5} /;

  it('a name matches NAME_PATTERN and not MIXED_SCRIPT_PATTERN exactly when parseIssueRequest accepts it, but for what the document states in words', () => {
    fc.assert(
      fc.property(names, (name) => {
        const refused = refusal(name);
        if (pattern.test(name) && !mixed.test(name)) expect(refused === undefined || STATED_IN_WORDS.test(refused)).toBe(true);
        else expect(refused).toBeDefined();
      }),
      { numRuns: 3000 },
    );
    expect(refusal('a\ud800')).toBe('Expected `name` without unpaired surrogates');
    expect(pattern.test('Alice\u{E0041}') && !mixed.test('Alice\u{E0041}')).toBe(true);
    expect(refusal('Alice\u{E0041}')).toMatch(STATED_IN_WORDS);
    expect(mixed.test('\u0410lice')).toBe(true);
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
