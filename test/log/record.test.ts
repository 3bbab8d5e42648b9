import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeValue, MalformedRecord } from '../../src/log/record.js';
import { certificates } from '../support/certificates.js';

const [sample] = certificates('CS', 4, 1);

describe('record codec', () => {
  it('round-trips a certificate through the JSON value', () => {
    expect(decodeRecord('CS', encodeValue(sample!))).toEqual(sample);
  });

  it('writes fields in a fixed, readable order', () => {
    expect(Object.keys(JSON.parse(encodeValue(sample!)))).toEqual(['id', 'class', 'number', 'name', 'amount', 'issuedAt', 'sharesIssued']);
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
  ])('rejects %s', (_, key, value) => {
    expect(() => decodeRecord(key, value)).toThrow(MalformedRecord);
  });
});
