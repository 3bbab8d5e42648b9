import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useApp } from '../support/app.js';
import { AUTHORIZATION } from '../support/credentials.js';
import { issue, post } from '../support/http.js';

const app = useApp('bad-input', [
  { code: 'CS', authorized: 1_000_000 },
  { code: 'PS', authorized: 1_000_000 },
]);
let expectedNext = 1;

/** After every refused request, the next good one must get the very next number: nothing consumed. */
async function expectNextNumber(): Promise<void> {
  const reply = await issue(app().url, 'CS', 1);
  expect(reply.body.id).toBe(`CS-${expectedNext}`);
  expectedNext += 1;
}

function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(path, app().url);
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers: { ...AUTHORIZATION, ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: text, headers: response.headers }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const longName = 'x'.repeat(201);

describe('bad input is refused with a stable code and consumes no number', () => {
  it.each([
    ['malformed JSON', '{"name":"a",', 'invalid_json'],
    ['a JSON array', '[1,2]', 'invalid_body'],
    ['JSON null', 'null', 'invalid_body'],
    ['an extra field', '{"name":"a","amount":1,"class":"CS","admin":true}', 'invalid_body'],
    ['a __proto__ key', '{"name":"a","amount":1,"class":"CS","__proto__":{"polluted":1}}', 'invalid_body'],
    ['a constructor key', '{"name":"a","amount":1,"class":"CS","constructor":{"prototype":{}}}', 'invalid_body'],
    ['a missing class', '{"name":"a","amount":1}', 'invalid_class'],
    ['a numeric class', '{"name":"a","amount":1,"class":7}', 'invalid_class'],
    ['an unknown class', '{"name":"a","amount":1,"class":"XX"}', 'unknown_class'],
    ['a lower-case class', '{"name":"a","amount":1,"class":"cs"}', 'unknown_class'],
    ['a missing amount', '{"name":"a","class":"CS"}', 'invalid_amount'],
    ['a zero amount', '{"name":"a","amount":0,"class":"CS"}', 'invalid_amount'],
    ['a negative amount', '{"name":"a","amount":-10,"class":"CS"}', 'invalid_amount'],
    ['a fractional amount', '{"name":"a","amount":1.5,"class":"CS"}', 'invalid_amount'],
    ['an amount as a string', '{"name":"a","amount":"10","class":"CS"}', 'invalid_amount'],
    ['an amount beyond safe integers', '{"name":"a","amount":9007199254740993,"class":"CS"}', 'invalid_amount'],
    ['an amount of 1e400', '{"name":"a","amount":1e400,"class":"CS"}', 'invalid_amount'],
    ['a missing name', '{"amount":1,"class":"CS"}', 'invalid_name'],
    ['a blank name', '{"name":"   ","amount":1,"class":"CS"}', 'invalid_name'],
    ['a name over 200 characters', JSON.stringify({ name: longName, amount: 1, class: 'CS' }), 'invalid_name'],
    ['a name with a newline', '{"name":"a\\nb","amount":1,"class":"CS"}', 'invalid_name'],
    ['a name with a right-to-left override', JSON.stringify({ name: 'Alice \u202eecilA', amount: 1, class: 'CS' }), 'invalid_name'],
    ['a name with a zero-width space', JSON.stringify({ name: 'Al\u200bice', amount: 1, class: 'CS' }), 'invalid_name'],
    ['a name with a Cyrillic А in a Latin word', JSON.stringify({ name: '\u0410lice', amount: 1, class: 'CS' }), 'invalid_name'],
    ['a name with a lone surrogate', '{"name":"a\\ud800","amount":1,"class":"CS"}', 'invalid_name'],
    ['a numeric name', '{"name":42,"amount":1,"class":"CS"}', 'invalid_name'],
  ])('400 for %s', async (_, body, code) => {
    const reply = await post(`${app().url}/`, body);
    expect(reply.status).toBe(400);
    expect((reply.body.error as { code: string }).code).toBe(code);
    await expectNextNumber();
  });

  it('accepts a 200-character unicode name, trimmed, and stores it as sent', async () => {
    const name = `  ${'股'.repeat(199)}😀  `;
    const reply = await issue(app().url, 'CS', 1, name);
    expect(reply.status).toBe(201);
    expect(reply.body.name).toBe(name.trim());
    expectedNext += 1;
    expect((await app().committed()).at(-1)!.name).toBe(name.trim());
  });

  it('stores a name in NFC: a combining accent sent apart is stored composed', async () => {
    const reply = await issue(app().url, 'CS', 1, 'Jose\u0301 Martí');
    expect(reply.status).toBe(201);
    expect(reply.body.name).toBe('Jos\u00e9 Mart\u00ed');
    expectedNext += 1;
    expect((await app().committed()).at(-1)!.name).toBe('Jos\u00e9 Mart\u00ed');
  });

  it('415 for a body that is not declared as JSON', async () => {
    const reply = await raw('POST', '/', { 'content-type': 'text/plain' }, '{"name":"a","amount":1,"class":"CS"}');
    expect(reply.status).toBe(415);
    expect(JSON.parse(reply.body).error.code).toBe('unsupported_media_type');
    await expectNextNumber();
  });

  it('413 for a body over 4 KiB', async () => {
    const reply = await raw(
      'POST',
      '/',
      { 'content-type': 'application/json' },
      JSON.stringify({ name: 'a'.repeat(5000), amount: 1, class: 'CS' }),
    );
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).error.code).toBe('payload_too_large');
    await expectNextNumber();
  });

  it('400 for a body that is not UTF-8', async () => {
    const reply = await raw(
      'POST',
      '/',
      { 'content-type': 'application/json' },
      Buffer.from('{"name":"\xff","amount":1,"class":"CS"}', 'latin1'),
    );
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body).error.code).toBe('invalid_json');
    await expectNextNumber();
  });

  it('404 for an unknown path and 405 with Allow for a wrong method, in the same error shape', async () => {
    const missing = await raw('POST', '/nowhere', { 'content-type': 'application/json' }, '{}');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error.code).toBe('not_found');
    const wrongMethod = await raw('DELETE', '/certificates', {});
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toContain('POST');
    expect(JSON.parse(wrongMethod.body).error.code).toBe('method_not_allowed');
    await expectNextNumber();
  });
});
