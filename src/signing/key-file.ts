import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { keyListFile, PrivateFileError } from '../files/private-file.js';
import { KEY_ID_PATTERN } from '../core/seal.js';
import { privateKeyOf, publicKeyOf, type SigningKey } from './signing-keys.js';

/**
 * The signing key file (SIGNING_KEY_FILE): `{ "version": 1, "keys": [StoredKey, …] }`, each an
 * Ed25519 key as JWK members (`x`, and `d` where this file holds the private half) with its id and
 * when it may sign. Every instance may become the writer, so every instance reads the same file; it
 * holds private keys, so it is a private file read by its owner alone (src/files/private-file.ts).
 */
export const SIGNING_FILE_VERSION = 1;

/** A few hundred keys at most in practice; each takes about 250 bytes. */
const MAX_FILE_BYTES = 1024 * 1024;

export interface StoredKey {
  readonly kid: string;
  readonly notBefore: string;
  readonly retiredAt?: string;
  readonly x: string;
  readonly d?: string;
}

const KEY_ID = new RegExp(KEY_ID_PATTERN);
const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

function isoTime(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value;
}

/** Parses the file's text; throws saying what was expected, never echoing a key. */
export function parseSigningFile(text: string, path: string): StoredKey[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PrivateFileError(path, `expected JSON (${(error as Error).message.slice(0, 100)})`);
  }
  const { version, keys } = (document ?? {}) as { version?: unknown; keys?: unknown };
  if (version !== SIGNING_FILE_VERSION) {
    throw new PrivateFileError(path, `expected "version": ${SIGNING_FILE_VERSION}, got ${JSON.stringify(version)}`);
  }
  if (!Array.isArray(keys)) throw new PrivateFileError(path, 'expected "keys" to be a list');
  const seen = new Set<string>();
  return keys.map((entry: unknown, index) => {
    const { kid, notBefore, retiredAt, x, d } = (entry ?? {}) as Partial<Record<keyof StoredKey, unknown>>;
    const at = `keys[${index}]`;
    if (typeof kid !== 'string' || !KEY_ID.test(kid)) throw new PrivateFileError(path, `${at}: expected "kid" matching ${KEY_ID_PATTERN}`);
    if (seen.has(kid)) throw new PrivateFileError(path, `expected each key id once, got ${kid} twice`);
    seen.add(kid);
    if (!isoTime(notBefore)) throw new PrivateFileError(path, `${kid}: expected "notBefore" as an ISO time`);
    if (retiredAt !== undefined && !(isoTime(retiredAt) && retiredAt > notBefore)) {
      throw new PrivateFileError(path, `${kid}: expected "retiredAt" as an ISO time after "notBefore"`);
    }
    if (typeof x !== 'string' || !BASE64URL_32_BYTES.test(x))
      throw new PrivateFileError(path, `${kid}: expected "x", an Ed25519 public key`);
    if (d !== undefined && !(typeof d === 'string' && BASE64URL_32_BYTES.test(d))) {
      throw new PrivateFileError(path, `${kid}: expected "d", an Ed25519 private key, or none`);
    }
    return { kid, notBefore, ...(retiredAt === undefined ? {} : { retiredAt }), x, ...(d === undefined ? {} : { d }) };
  });
}

/** The keys as the rule and the writer use them; throws naming a key whose halves do not make an Ed25519 pair. */
export function signingKeysOf(stored: readonly StoredKey[], path: string): SigningKey[] {
  return stored.map(({ kid, notBefore, retiredAt, x, d }) => {
    try {
      const publicKey = publicKeyOf({ kid, x });
      const privateKey = d === undefined ? undefined : privateKeyOf({ x, d });
      if (privateKey !== undefined) {
        const derived = (privateKey.export({ format: 'jwk' }) as { x?: string }).x;
        if (derived !== x) throw new Error('its private half is not the private half of "x"');
      }
      return {
        kid,
        notBefore,
        ...(retiredAt === undefined ? {} : { retiredAt }),
        publicKey,
        ...(privateKey === undefined ? {} : { privateKey }),
      };
    } catch (error) {
      throw new PrivateFileError(path, `${kid}: ${(error as Error).message}`);
    }
  });
}

const file = keyListFile(SIGNING_FILE_VERSION, parseSigningFile, { maxBytes: MAX_FILE_BYTES, ownerReadOnly: true });

/** Reads and checks the file (its owner alone may read it); throws a PrivateFileError (code ENOENT when it does not exist). */
export const readSigningFile = file.read;
export const writeSigningFile = file.write;
/** The keys in the file, or none when it does not exist yet (the first `create`). */
export const readSigningKeysOrNone = file.readOrNone;
/** Changes the file under its lock. */
export const updateSigningFile = file.update;

/** A new Ed25519 key that may sign from `notBefore`, with an id that says when it was made. */
export function newStoredKey(notBefore: Date): StoredKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const { x, d } = privateKey.export({ format: 'jwk' }) as { x: string; d: string };
  const day = notBefore.toISOString().slice(0, 10).replaceAll('-', '');
  return { kid: `sk-${day}-${randomBytes(4).toString('hex')}`, notBefore: notBefore.toISOString(), x, d };
}
