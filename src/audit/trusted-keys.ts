import { TRUSTS_NO_KEY, type SealVerifier } from '../core/seal.js';
import { PrivateFileError } from '../files/private-file.js';
import { readSigningFile, signingKeysOf } from '../signing/key-file.js';
import { publicKeySet } from '../signing/public-keys.js';
import type { SigningSettings } from '../signing/signing-start.js';
import { SigningKeys } from '../signing/signing-keys.js';
import { readSmallFile } from './small-file.js';

/** A published key set is a few hundred bytes a key. */
const MAX_SET_BYTES = 1024 * 1024;
export const KEYS_FETCH_TIMEOUT_MS = 10_000;

/** The keys the audit judges seals with, and where they came from (for the report). */
export interface TrustedKeys {
  readonly verifier: SealVerifier;
  /** Key ids, oldest first; empty when no key is trusted (every seal is then `untrusted_key`). */
  readonly kids: readonly string[];
  readonly source: string;
}

/**
 * The public keys to trust: a published JWK set (`--keys`, a file or an http(s) URL fetched once),
 * or else the public halves of the service's SIGNING_KEY_FILE. The audit never signs, so it never
 * holds a private half. With no file to read (signing disabled, or the development file not made
 * yet) it trusts no key: an unsigned log still passes, a signed one fails on every seal.
 */
export async function trustedKeys(keys: string | undefined, signing: SigningSettings): Promise<TrustedKeys> {
  if (keys !== undefined) {
    const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(keys) ? await fetchSet(keys) : readSmallFile(keys, MAX_SET_BYTES);
    return described(publicKeySet(text, keys), keys);
  }
  const { keyFile, development } = signing;
  if (keyFile === undefined) return { verifier: TRUSTS_NO_KEY, kids: [], source: 'none: signing is disabled (SIGNING_DISABLED)' };
  let stored;
  try {
    stored = readSigningFile(keyFile).keys;
  } catch (error) {
    if (!(development && error instanceof PrivateFileError && error.code === 'ENOENT')) throw error;
    return { verifier: TRUSTS_NO_KEY, kids: [], source: `none: ${keyFile} does not exist (set SIGNING_KEY_FILE or --keys)` };
  }
  const publicHalves = stored.map(({ kid, notBefore, retiredAt, x }) => ({
    kid,
    notBefore,
    ...(retiredAt === undefined ? {} : { retiredAt }),
    x,
  }));
  return described(new SigningKeys(signingKeysOf(publicHalves, keyFile)), keyFile);
}

function described(keys: SigningKeys, source: string): TrustedKeys {
  return { verifier: keys, kids: keys.publicSet().keys.map(({ kid }) => kid), source };
}

/** The keys decide what the audit accepts, and the issuer what a verifier says of where a certificate stands: fetched over TLS, or over plain HTTP from this machine only. */
export function keysUrl(text: string): URL {
  const url = new URL(text);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(
      `${text}: expected an https URL (plain http only from 127.0.0.1 or localhost): whoever is on the path could swap the keys`,
    );
  }
  return url;
}

/** One GET, bounded in time and size: the audit must end, whatever the server does. */
async function fetchSet(text: string): Promise<string> {
  const url = keysUrl(text);
  const failed = (error: unknown): Error =>
    new Error(
      (error as Error).name === 'TimeoutError'
        ? `${text}: did not answer within ${KEYS_FETCH_TIMEOUT_MS} ms`
        : `${text}: cannot be fetched (${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message})`,
    );
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(KEYS_FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
  } catch (error) {
    throw failed(error);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`${text}: answered ${response.status}, expected 200 with the JWK set`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > MAX_SET_BYTES) break;
      chunks.push(Buffer.from(chunk));
    }
  } catch (error) {
    throw failed(error);
  }
  if (size > MAX_SET_BYTES) throw new Error(`${text}: expected a JWK set of at most ${MAX_SET_BYTES} bytes`);
  return Buffer.concat(chunks).toString('utf8');
}
