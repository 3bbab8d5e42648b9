import { describe, expect, it } from 'vitest';
import { parseForwarded } from '../../src/http/forwarded.js';

const body = { name: 'Ada', amount: 3, class: 'CS' };
const who = { principal: 'oidc:https://id.example#ada', requestId: '3f9a0c41d27be85a16-2s' };

describe('a forwarded request (parseForwarded): the client body, its key, and who asked under which Request-Id', () => {
  it('carries the principal and the request id through, with and without an Idempotency-Key', () => {
    expect(parseForwarded({ ...body, ...who })).toMatchObject({ ...body, ...who, idempotencyKey: undefined });
    expect(parseForwarded({ ...body, ...who, idempotencyKey: 'k-1' })).toEqual({ ...body, ...who, idempotencyKey: 'k-1' });
  });

  it.each([
    ['no principal', { ...body, requestId: who.requestId }, 'principal'],
    ['an empty principal', { ...body, ...who, principal: '' }, 'principal'],
    ['a principal over 600 characters', { ...body, ...who, principal: `key:${'k'.repeat(597)}` }, 'principal'],
    ['a principal that is no string', { ...body, ...who, principal: { id: 'key:a' } }, 'principal'],
    ['no request id', { ...body, principal: who.principal }, 'requestId'],
    ['a request id over 64 characters', { ...body, ...who, requestId: 'r'.repeat(65) }, 'requestId'],
    ['a request id with a space', { ...body, ...who, requestId: 'r 1' }, 'requestId'],
  ])('refuses a request with %s (400 invalid_body naming the field)', (_, item, field) => {
    expect(() => parseForwarded(item)).toThrow(expect.objectContaining({ code: 'invalid_body', message: expect.stringContaining(field) }));
  });

  it('still validates the body as if it came directly', () => {
    expect(() => parseForwarded({ ...body, ...who, amount: 0 })).toThrow(expect.objectContaining({ code: 'invalid_amount' }));
    expect(() => parseForwarded({ ...body, ...who, extra: 1 })).toThrow(expect.objectContaining({ code: 'invalid_body' }));
    expect(() => parseForwarded([body])).toThrow(expect.objectContaining({ code: 'invalid_body' }));
    expect(() => parseForwarded({ ...body, ...who, idempotencyKey: ' padded ' })).toThrow(
      expect.objectContaining({ code: 'invalid_idempotency_key' }),
    );
  });
});
