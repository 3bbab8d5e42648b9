import { describe, expect, it } from 'vitest';
import { headText } from '../../src/core/seal.js';
import { publicKeySet } from '../../src/signing/public-keys.js';
import { newStoredKey, signingKeysOf } from '../../src/signing/key-file.js';
import { SigningKeys } from '../../src/signing/signing-keys.js';
import { signingKeys } from '../support/signing.js';

const KEYS = signingKeys();
const published = KEYS.publicSet();
const jwk = published.keys[0]!;
const seal = KEYS.sign({
  v: 1,
  first: 0,
  count: 1,
  root: 'a'.repeat(64),
  prev: '0'.repeat(64),
  classes: { CS: { number: 1, sharesIssued: 1 } },
  at: new Date().toISOString(),
});

describe('publicKeySet: the trusted keys from a published JWK set', () => {
  it('checks seals as the key file does, from the public set alone, and cannot sign', () => {
    const keys = publicKeySet(JSON.stringify(published), 'jwks.json');
    expect(keys.publicSet()).toEqual(published);
    expect(keys.check(seal.head, headText(seal.head), seal.signature)).toBe('ok');
    expect(keys.canSign(seal.head.at)).toBe(false);
    const other = { ...seal.head, at: new Date(Date.parse(seal.head.at) + 1).toISOString() };
    expect(keys.check(other, headText(other), seal.signature)).toBe('bad_signature');
  });

  it('accepts a key without "use" and "alg", and keeps a retirement', () => {
    const { kty, crv, x, kid, notBefore } = jwk;
    const bare = { kty, crv, x, kid, notBefore };
    const retiredAt = new Date(Date.parse(seal.head.at) - 1).toISOString();
    const keys = publicKeySet(JSON.stringify({ keys: [{ ...bare, retiredAt }] }), 'jwks.json');
    expect(keys.check(seal.head, headText(seal.head), seal.signature)).toBe('retired_key');
  });

  const other = new SigningKeys(signingKeysOf([newStoredKey(new Date())], 'other')).publicSet().keys[0]!;
  const { d } = newStoredKey(new Date());
  it.each([
    ['text that is not JSON', '{"keys":', /expected a JWK set as JSON/],
    ['a document with another member', JSON.stringify({ ...published, issuer: 'x' }), /expected \{"keys": \[\.\.\.\]\} and nothing else/],
    ['keys that are no list', JSON.stringify({ keys: jwk }), /and nothing else/],
    ['an empty set', JSON.stringify({ keys: [] }), /at least one key/],
    ['a key that is no object', JSON.stringify({ keys: ['x'] }), /keys\[0\]: expected a JWK object/],
    ['a private half', JSON.stringify({ keys: [{ ...jwk, d }] }), /keys\[0\]: holds a private key/],
    ['a member it does not define', JSON.stringify({ keys: [{ ...jwk, x5c: [] }] }), /keys\[0\]: unexpected member "x5c"/],
    ['another curve', JSON.stringify({ keys: [{ ...jwk, crv: 'X25519' }] }), /"crv": "Ed25519"/],
    ['another use', JSON.stringify({ keys: [{ ...jwk, use: 'enc' }] }), /"use": "sig"/],
    ['another algorithm', JSON.stringify({ keys: [{ ...jwk, alg: 'ES256' }] }), /"alg": "EdDSA"/],
    ['a key id twice', JSON.stringify({ keys: [jwk, { ...other, kid: jwk.kid }] }), /each key id once/],
    ['a bad key id', JSON.stringify({ keys: [{ ...jwk, kid: 'a b' }] }), /"kid" matching/],
    ['a start that is no ISO time', JSON.stringify({ keys: [{ ...jwk, notBefore: 'yesterday' }] }), /"notBefore" as an ISO time/],
    ['a retirement before its start', JSON.stringify({ keys: [{ ...jwk, retiredAt: '2000-01-01T00:00:00.000Z' }] }), /"retiredAt"/],
    ['a public key that is not 32 bytes', JSON.stringify({ keys: [{ ...jwk, x: 'AAAA' }] }), /"x", an Ed25519 public key/],
  ])('refuses %s, naming the source', (_, text, message) => {
    expect(() => publicKeySet(text, 'https://example.test/jwks.json')).toThrow(message);
    expect(() => publicKeySet(text, 'https://example.test/jwks.json')).toThrow(/^https:\/\/example\.test\/jwks\.json: /);
  });
});
