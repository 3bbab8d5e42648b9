import { describe, expect, it } from 'vitest';
import { parseIdempotencyKey, parseIssueRequest } from '../../src/http/validate.js';

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
