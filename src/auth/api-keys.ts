import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isRole, principalId, type Principal, type Role } from '../core/principal.js';

/**
 * API keys: `stc_<key id>_<secret>`. The prefix says what the text is (a scanner or a person who
 * finds one in a log knows it is a stock-certificates key), the key id finds the stored record
 * without comparing against every key, and the secret is 32 random bytes.
 */
export const API_KEY_PREFIX = 'stc_';

const KEY_ID_BYTES = 8;
const SECRET_BYTES = 32;
const API_KEY = /^stc_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** What the keys file holds of one key: never the key itself. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly Role[];
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601; the key is refused from then on. */
  readonly expiresAt?: string;
  /** SHA-256 of the secret, hex. */
  readonly sha256: string;
}

/** A name an operator recognises in `list` and in the logs: printable, bounded. */
export const KEY_NAME = /^[^\p{Cc}\p{Cf}]{1,100}$/u;

// The secret is 256 bits from the CSPRNG, not a password a person chose: nobody can guess it or
// search a dictionary for it, so a slow hash (scrypt, argon2) would add nothing but CPU per request.
// One SHA-256 still means a copy of the file gives no usable key.
// crypto.hash: one call, half the cost of a createHash object per request (measured).
function hashSecret(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

/** A new key and the record to store: the key is shown once, the record keeps only its hash. */
export function newApiKey(
  name: string,
  roles: readonly Role[],
  createdAt: Date,
  expiresAt?: Date,
): { readonly key: string; readonly record: ApiKeyRecord } {
  const id = randomBytes(KEY_ID_BYTES).toString('hex');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  const record: ApiKeyRecord = {
    id,
    name,
    roles: [...new Set(roles)],
    createdAt: createdAt.toISOString(),
    ...(expiresAt === undefined ? {} : { expiresAt: expiresAt.toISOString() }),
    sha256: hashSecret(secret).toString('hex'),
  };
  return { key: `${API_KEY_PREFIX}${id}_${secret}`, record };
}

/** Whether a bearer token is meant as one of our keys (by its prefix), whether or not it is a valid one. */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** The key id and secret of a well-formed key; undefined for anything else. */
export function parseApiKey(token: string): { readonly id: string; readonly secret: string } | undefined {
  const match = API_KEY.exec(token);
  return match === null ? undefined : { id: match[1]!, secret: match[2]! };
}

/** A stored key, ready to check a presented secret against and to act as its principal. */
export interface StoredKey {
  readonly record: ApiKeyRecord;
  readonly principal: Principal;
  /** Epoch ms, or Infinity. */
  readonly expiresAtMs: number;
  readonly hash: Buffer;
}

export function storedKey(record: ApiKeyRecord): StoredKey {
  return {
    record,
    principal: { id: principalId.apiKey(record.id), name: record.name, roles: new Set(record.roles) },
    expiresAtMs: record.expiresAt === undefined ? Infinity : Date.parse(record.expiresAt),
    hash: Buffer.from(record.sha256, 'hex'),
  };
}

/** Constant-time: how much of a guess matched must not show in how long the answer took. */
export function secretMatches(key: StoredKey, secret: string): boolean {
  return timingSafeEqual(hashSecret(secret), key.hash);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** One record as the file holds it, checked field by field; says what was expected where. */
export function parseApiKeyRecord(value: unknown, at: string): ApiKeyRecord {
  const fail = (what: string): never => {
    throw new Error(`Expected ${at} to have ${what}`);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('an object');
  const { id, name, roles, createdAt, expiresAt, sha256 } = value as Record<string, unknown>;
  if (typeof id !== 'string' || !/^[0-9a-f]{16}$/.test(id)) fail('an id of 16 hex characters');
  if (typeof name !== 'string' || !KEY_NAME.test(name)) fail('a name of 1 to 100 printable characters');
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((role) => typeof role === 'string' && isRole(role)))
    fail('roles, a non-empty list of known roles');
  if (typeof createdAt !== 'string' || !ISO_DATE.test(createdAt)) fail('createdAt, an ISO 8601 UTC time');
  if (expiresAt !== undefined && (typeof expiresAt !== 'string' || !ISO_DATE.test(expiresAt)))
    fail('expiresAt absent or an ISO 8601 UTC time');
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) fail('sha256, 64 hex characters');
  return {
    id: id as string,
    name: name as string,
    roles: roles as Role[],
    createdAt: createdAt as string,
    ...(expiresAt === undefined ? {} : { expiresAt: expiresAt as string }),
    sha256: sha256 as string,
  };
}
