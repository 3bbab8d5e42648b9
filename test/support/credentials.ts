import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newApiKey } from '../../src/auth/api-keys.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { writeKeyFile } from '../../src/auth/key-file.js';
import { ApiKeyStore } from '../../src/auth/key-store.js';
import type { Role } from '../../src/core/principal.js';
import { SIGNING_FILE } from './signing.js';

/**
 * The admin API key every test and bench request is sent with: made once per process in a keys file
 * of its own, which service processes get as API_KEYS_FILE and in-process apps read through the
 * same store the service uses.
 */
function adminKey(): { readonly file: string; readonly key: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'api-keys-')), 'api-keys.json');
  const { key, record } = newApiKey('test admin', ['admin'], new Date());
  writeKeyFile(file, [record]);
  return { file, key };
}

export const ADMIN = adminKey();

/** The header every authenticated request carries. */
export const AUTHORIZATION: Readonly<Record<'authorization', string>> = { authorization: `Bearer ${ADMIN.key}` };

/** What a service process needs to accept ADMIN's key, and to sign with the test's signing key. */
export const KEYS_ENV: Readonly<Record<string, string>> = { API_KEYS_FILE: ADMIN.file, SIGNING_KEY_FILE: SIGNING_FILE };

/** An authenticator for an in-process app, reading the admin key's file as an instance does; closed with `close()`. */
export function testAuthenticator(): { readonly authenticator: Authenticator; close(): void } {
  const keys = new ApiKeyStore(ADMIN.file);
  return { authenticator: new Authenticator({ keys }), close: () => keys.close() };
}

/** fetch with the admin key, for tests that read what a caller with every role reads. */
export function authorizedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...AUTHORIZATION, ...(init.headers as Record<string, string> | undefined) } });
}

/**
 * One API key per name with the roles given, made with the real key functions, in a keys file of its
 * own (after `alongside`, keys another file holds: the admin's, say): the file and each name's key.
 */
export function keysWithRoles<N extends string>(
  roles: Readonly<Record<N, readonly Role[]>>,
  alongside: Parameters<typeof writeKeyFile>[1] = [],
): { readonly file: string; readonly keys: Readonly<Record<N, string>> } {
  const file = join(mkdtempSync(join(tmpdir(), 'role-keys-')), 'api-keys.json');
  const made = (Object.keys(roles) as N[]).map((name) => ({ name, ...newApiKey(name, roles[name], new Date()) }));
  writeKeyFile(file, [...alongside, ...made.map(({ record }) => record)]);
  return { file, keys: Object.fromEntries(made.map(({ name, key }) => [name, key])) as Record<N, string> };
}
