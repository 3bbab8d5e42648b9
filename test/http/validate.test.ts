import { describe, expect, it } from 'vitest';
import { parseIssueRequest } from '../../src/http/validate.js';

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
