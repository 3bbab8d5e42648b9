import { PrivateFileError } from '../files/private-file.js';
import { parseSigningFile, SIGNING_FILE_VERSION, signingKeysOf } from './key-file.js';
import { SigningKeys, type PublicJwk } from './signing-keys.js';

const MEMBERS: ReadonlySet<string> = new Set<keyof PublicJwk>(['kty', 'crv', 'x', 'kid', 'use', 'alg', 'notBefore', 'retiredAt']);

/**
 * The trusted keys from a published JWK set (`/.well-known/jwks.json`: `{"keys": [PublicJwk, …]}`),
 * as an auditor or verifier holds them: public halves only, so they check seals and can sign
 * nothing. Strict: a member this set does not define, a key other than Ed25519, or a private half
 * is refused rather than ignored. Each key's id and times are checked as the key file's are.
 * Throws saying what was expected, naming `source` (a file or a URL); the caller bounds the text's size.
 */
export function publicKeySet(text: string, source: string): SigningKeys {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PrivateFileError(source, `expected a JWK set as JSON (${(error as Error).message.slice(0, 100)})`);
  }
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(document) || Object.keys(document).join() !== 'keys' || !Array.isArray(document.keys)) {
    throw new PrivateFileError(source, 'expected {"keys": [...]} and nothing else');
  }
  if (document.keys.length === 0) throw new PrivateFileError(source, 'expected at least one key: an empty set trusts nothing');
  const stored = document.keys.map((jwk: unknown, index) => {
    const at = `keys[${index}]`;
    if (!isObject(jwk)) throw new PrivateFileError(source, `${at}: expected a JWK object`);
    if ('d' in jwk) throw new PrivateFileError(source, `${at}: holds a private key ("d"), which a published set must never carry`);
    const unknown = Object.keys(jwk).find((member) => !MEMBERS.has(member));
    if (unknown !== undefined) throw new PrivateFileError(source, `${at}: unexpected member ${JSON.stringify(unknown.slice(0, 40))}`);
    const { kty, crv, use, alg, kid, notBefore, retiredAt, x } = jwk;
    if (kty !== 'OKP' || crv !== 'Ed25519') throw new PrivateFileError(source, `${at}: expected "kty": "OKP" and "crv": "Ed25519"`);
    if ((use !== undefined && use !== 'sig') || (alg !== undefined && alg !== 'EdDSA')) {
      throw new PrivateFileError(source, `${at}: expected "use": "sig" and "alg": "EdDSA" when given`);
    }
    return { kid, notBefore, retiredAt, x };
  });
  // The key file's checks: ids, times, `x`, each id once.
  const keys = parseSigningFile(JSON.stringify({ version: SIGNING_FILE_VERSION, keys: stored }), source);
  return new SigningKeys(signingKeysOf(keys, source));
}
