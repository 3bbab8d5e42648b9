import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeValue, MalformedRecord, readRecord } from '../../src/core/record-format.js';
import { certificates } from '../support/certificates.js';

const [sample] = certificates('CS', 4, 1);

describe('record codec', () => {
  it('round-trips a certificate through the JSON value', () => {
    expect(decodeRecord('CS', encodeValue(sample!))).toEqual(sample);
  });

  it('writes fields in a fixed, readable order, the stated offset, request and idempotency key, then principal and request id last', () => {
    const full = { ...sample!, offset: 41, request: 'a1-7', idempotencyKey: 'k-1', principal: 'key:k1', requestId: 'r-1' };
    expect(Object.keys(JSON.parse(encodeValue(full)))).toEqual([
      'id',
      'class',
      'number',
      'name',
      'amount',
      'issuedAt',
      'sharesIssued',
      'offset',
      'request',
      'idempotencyKey',
      'principal',
      'requestId',
    ]);
  });

  it('round-trips the principal and the request id, and writes neither for a record without them', () => {
    const issued = { ...sample!, offset: 41, request: 'a1-7', principal: 'oidc:https://id.example#user 7', requestId: 'Zq3-1a' };
    expect(decodeRecord('CS', encodeValue(issued))).toEqual(issued);
    const keyed = { ...issued, idempotencyKey: 'k-1', principal: 'key:9f2c' };
    expect(decodeRecord('CS', encodeValue(keyed))).toEqual(keyed);
    expect(encodeValue({ ...sample!, offset: 41 })).not.toMatch(/principal|requestId/);
  });

  it('reads a record written before principals were recorded as valid, with the principal unknown (undefined)', () => {
    // The exact line a build before this change wrote.
    const before =
      '{"id":"CS-4","class":"CS","number":4,"name":"Holder 4","amount":5,"issuedAt":"2026-01-01T00:00:04.000Z","sharesIssued":20,"offset":3,"request":"0a1b2c3d4e5f-7","idempotencyKey":"k-1"}';
    const record = decodeRecord('CS', before);
    expect(record).toMatchObject({ id: 'CS-4', idempotencyKey: 'k-1' });
    expect([record.principal, record.requestId, Object.hasOwn(record, 'principal')]).toEqual([undefined, undefined, false]);
  });

  it('round-trips the stated offset and request, and reads a record written before scale-out without them', () => {
    const stated = { ...sample!, offset: 41, request: 'a1-7' };
    expect(decodeRecord('CS', encodeValue(stated))).toEqual(stated);
    expect(readRecord(3, 'CS', encodeValue(sample!))).toEqual({ offset: 3, record: sample, value: encodeValue(sample!) });
    expect(readRecord(4, 'CS', '{"id":"CS-4","cla')).toMatchObject({ offset: 4, malformed: expect.any(String) });
  });

  it('round-trips an idempotency key, and writes none for a request without one', () => {
    const keyed = { ...sample!, offset: 41, request: 'a1-7', idempotencyKey: 'order 7 ~!"{}' };
    expect(decodeRecord('CS', encodeValue(keyed))).toEqual(keyed);
    expect(encodeValue({ ...sample!, offset: 41 })).not.toContain('idempotencyKey');
  });

  it('still reads a key with a space first or last, as records could carry before the API refused such keys: verdicts never change', () => {
    const early = { ...sample!, offset: 41, request: 'a1-7', idempotencyKey: ' order 7 ' };
    expect(decodeRecord('CS', encodeValue(early))).toEqual(early);
  });

  it.each([
    ['a torn value', 'CS', '{"id":"CS-4","cla'],
    ['a key that is not the class', 'PS', encodeValue(sample!)],
    ['an id that does not match the number', 'CS', JSON.stringify({ ...sample, id: 'CS-5' })],
    ['a negative amount', 'CS', JSON.stringify({ ...sample, amount: -10 })],
    ['a fractional number', 'CS', JSON.stringify({ ...sample, number: 4.5, id: 'CS-4.5' })],
    ['a running total below the amount', 'CS', JSON.stringify({ ...sample, sharesIssued: 1 })],
    ['a missing name', 'CS', JSON.stringify({ ...sample, name: '' })],
    ['an issuedAt that is no date', 'CS', JSON.stringify({ ...sample, issuedAt: 'yesterday' })],
    ['an empty value', 'CS', null],
    ['a stated offset that is no offset', 'CS', JSON.stringify({ ...sample, offset: -1 })],
    ['a request id that is no string', 'CS', JSON.stringify({ ...sample, request: 7 })],
    ['an empty idempotency key', 'CS', JSON.stringify({ ...sample, idempotencyKey: '' })],
    ['an idempotency key with a non-ASCII character', 'CS', JSON.stringify({ ...sample, idempotencyKey: 'caf\u00e9' })],
    ['an idempotency key longer than 255 characters', 'CS', JSON.stringify({ ...sample, idempotencyKey: 'k'.repeat(256) })],
    ['an idempotency key that is no string', 'CS', JSON.stringify({ ...sample, idempotencyKey: 7 })],
    ['an empty principal', 'CS', JSON.stringify({ ...sample, principal: '', requestId: 'r-1' })],
    ['a principal longer than 600 characters', 'CS', JSON.stringify({ ...sample, principal: `key:${'k'.repeat(597)}`, requestId: 'r-1' })],
    ['a principal that is no string', 'CS', JSON.stringify({ ...sample, principal: 7, requestId: 'r-1' })],
    ['a principal without a request id', 'CS', JSON.stringify({ ...sample, principal: 'key:k1' })],
    ['a request id without a principal', 'CS', JSON.stringify({ ...sample, requestId: 'r-1' })],
    ['an empty request id', 'CS', JSON.stringify({ ...sample, principal: 'key:k1', requestId: '' })],
    ['a request id with a space', 'CS', JSON.stringify({ ...sample, principal: 'key:k1', requestId: 'r 1' })],
    ['a request id longer than 64 characters', 'CS', JSON.stringify({ ...sample, principal: 'key:k1', requestId: 'r'.repeat(65) })],
  ])('rejects %s', (_, key, value) => {
    expect(() => decodeRecord(key, value)).toThrow(MalformedRecord);
  });
});
