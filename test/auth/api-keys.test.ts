import { chmodSync, mkdtempSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newApiKey, parseApiKey } from '../../src/auth/api-keys.js';
import { Authenticator, DISABLED_PRINCIPAL } from '../../src/auth/authenticator.js';
import { readKeyFile, writeKeyFile } from '../../src/auth/key-file.js';
import { ApiKeyStore, KEY_RELOAD_BOUND_MS } from '../../src/auth/key-store.js';
import type { TokenVerifier } from '../../src/auth/token-verifier.js';
import { CertificateError } from '../../src/core/errors.js';
import type { Principal } from '../../src/core/principal.js';
import { until } from '../support/load.js';

const dir = mkdtempSync(join(tmpdir(), 'api-keys-test-'));
let files = 0;
const fileWith = (...records: ReturnType<typeof newApiKey>['record'][]): string => {
  const file = join(dir, `keys-${files++}.json`);
  writeKeyFile(file, records);
  return file;
};

async function refusal(promise: Promise<unknown>): Promise<CertificateError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CertificateError);
  return error as CertificateError;
}

describe('API keys', () => {
  it('are stc_<key id>_<secret> with 32 random bytes of secret, and the record keeps only the SHA-256 of the secret', () => {
    const { key, record } = newApiKey('payroll', ['certificates:issue'], new Date('2026-01-01T00:00:00Z'));
    expect(key).toMatch(/^stc_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const { id, secret } = parseApiKey(key)!;
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(record).toEqual({
      id,
      name: 'payroll',
      roles: ['certificates:issue'],
      createdAt: '2026-01-01T00:00:00.000Z',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.stringify(record)).not.toContain(secret);
    expect(new Set(Array.from({ length: 100 }, () => newApiKey('n', ['admin'], new Date()).key)).size).toBe(100);
  });

  it('are written to a 0600 file that holds no secret, replaced whole', () => {
    const { key, record } = newApiKey('ops', ['ops:read'], new Date());
    const file = fileWith(record);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(parseApiKey(key)!.secret);
    expect(JSON.parse(text)).toEqual({ version: 1, keys: [record] });
  });

  it('refuse a keys file that the group or others may write, one of another version, and a malformed record, saying what was expected', () => {
    const { record } = newApiKey('ops', ['ops:read'], new Date());
    const writable = fileWith(record);
    chmodSync(writable, 0o620);
    expect(() => readKeyFile(writable)).toThrow('expected a file only its owner may write (chmod 600), got mode 620');
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ version: 2, keys: [] }), { mode: 0o600 });
    expect(() => readKeyFile(other)).toThrow('expected "version": 1, got 2');
    writeFileSync(other, JSON.stringify({ version: 1, keys: [{ ...record, roles: ['root'] }] }), { mode: 0o600 });
    expect(() => readKeyFile(other)).toThrow('Expected keys[0] to have roles, a non-empty list of known roles');
  });
});

describe('the authenticator', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  const reader = newApiKey('reader', ['certificates:read'], new Date(now - 1000));
  const expired = newApiKey('old', ['admin'], new Date(now - 10_000), new Date(now - 1));
  const store = new ApiKeyStore(fileWith(reader.record, expired.record));
  const authenticator = new Authenticator({ keys: store, now: () => now });

  it('says who a valid key is, with its roles, and nobody when no credentials came', async () => {
    const principal = await authenticator.authenticate(`Bearer ${reader.key}`);
    expect(principal).toEqual({ id: `key:${reader.record.id}`, name: 'reader', roles: new Set(['certificates:read']) });
    expect(await authenticator.authenticate(undefined)).toBeUndefined();
  });

  it.each([
    ['an unknown key', () => `Bearer ${newApiKey('x', ['admin'], new Date()).key}`, 'Unknown or revoked API key'],
    ['a known id with a wrong secret', () => `Bearer ${reader.key.slice(0, -4)}AAAA`, 'Unknown or revoked API key'],
    ['a garbled key', () => `Bearer ${reader.key.slice(0, 30)}`, 'Expected an API key of the form stc_<key id>_<secret>'],
    ['an expired key', () => `Bearer ${expired.key}`, `API key ${expired.record.id} expired at`],
    ['a token without a verifier', () => 'Bearer eyJhbGciOiJub25lIn0.e30.', 'this service accepts no other bearer tokens'],
  ])('refuses %s as an invalid token', async (_, header, message) => {
    const error = await refusal(authenticator.authenticate(header()));
    expect(error).toMatchObject({ code: 'unauthenticated', details: { bearerError: 'invalid_token' } });
    expect(error.message).toContain(message);
  });

  it('refuses another scheme without calling it a bad token', async () => {
    const error = await refusal(authenticator.authenticate('Basic YWRtaW46YWRtaW4='));
    expect(error).toMatchObject({ code: 'unauthenticated', details: {} });
  });

  it('hands every bearer token without the API-key prefix to the token verifier, and its refusal becomes an invalid token', async () => {
    const seen: string[] = [];
    const principal: Principal = { id: 'oidc:https://idp.example#svc', name: 'svc', roles: new Set(['certificates:issue']) };
    const tokens: TokenVerifier = {
      verify: (token) => {
        seen.push(token);
        return token === 'good'
          ? Promise.resolve(principal)
          : Promise.reject(new CertificateError('unauthenticated', 'Expected a token signed by the issuer'));
      },
    };
    const withTokens = new Authenticator({ keys: store, tokens });
    expect(await withTokens.authenticate('Bearer good')).toBe(principal);
    const error = await refusal(withTokens.authenticate('bearer bad'));
    expect(error).toMatchObject({
      code: 'unauthenticated',
      message: 'Expected a token signed by the issuer',
      details: { bearerError: 'invalid_token' },
    });
    expect(seen).toEqual(['good', 'bad']);
    // An API key never reaches the verifier.
    await withTokens.authenticate(`Bearer ${reader.key}`);
    expect(seen).toHaveLength(2);
  });

  it('with AUTH_DISABLED, acts for every request as the disabled principal with every role', async () => {
    expect(await new Authenticator({ disabled: true }).authenticate(undefined)).toBe(DISABLED_PRINCIPAL);
  });
});

describe('the key store', () => {
  it('follows the file: an added key is accepted and a revoked one refused within the bound, without a restart', async () => {
    const first = newApiKey('first', ['admin'], new Date());
    const file = fileWith(first.record);
    const store = new ApiKeyStore(file).watch();
    try {
      const second = newApiKey('second', ['admin'], new Date());
      let started = Date.now();
      writeKeyFile(file, [first.record, second.record]);
      await until('the added key', () => store.find(second.record.id) !== undefined, KEY_RELOAD_BOUND_MS);
      const added = Date.now() - started;
      started = Date.now();
      writeKeyFile(file, [second.record]);
      await until('the revocation', () => store.find(first.record.id) === undefined, KEY_RELOAD_BOUND_MS);
      console.log(`key store: an added key in force after ${added} ms, a revocation after ${Date.now() - started} ms`);
    } finally {
      store.close();
    }
  });

  it('follows a file swapped behind symlinks (as Kubernetes mounts secrets), which no watch event names, by its stat poll within the bound', async () => {
    // dir/api-keys.json -> ..data/api-keys.json, ..data -> v1; the swap renames a new ..data over it.
    const root = mkdtempSync(join(dir, 'mounted-'));
    const first = newApiKey('first', ['admin'], new Date());
    const second = newApiKey('second', ['admin'], new Date());
    writeKeyFile(join(root, 'v1', 'api-keys.json'), [first.record]);
    writeKeyFile(join(root, 'v2', 'api-keys.json'), [second.record]);
    symlinkSync('v1', join(root, '..data'));
    symlinkSync(join('..data', 'api-keys.json'), join(root, 'api-keys.json'));
    const store = new ApiKeyStore(join(root, 'api-keys.json')).watch();
    try {
      expect(store.find(first.record.id)).toBeDefined();
      const started = Date.now();
      symlinkSync('v2', join(root, '..data.new'));
      renameSync(join(root, '..data.new'), join(root, '..data'));
      await until('the swapped file', () => store.find(second.record.id) !== undefined, KEY_RELOAD_BOUND_MS);
      expect(store.find(first.record.id)).toBeUndefined();
      console.log(`key store: a file swapped behind symlinks in force after ${Date.now() - started} ms`);
    } finally {
      store.close();
    }
  });

  it('keeps the keys in force when the file turns unreadable or group-writable, logs why without a key, and takes the next good file', async () => {
    const kept = newApiKey('kept', ['admin'], new Date());
    const file = fileWith(kept.record);
    const errors: string[] = [];
    const store = new ApiKeyStore(file, { onError: (message) => errors.push(message) });
    writeFileSync(file, '{"version":1,"keys":[{"id":', { mode: 0o600 });
    store.reload();
    expect(store.find(kept.record.id)).toBeDefined();
    expect(errors).toEqual([expect.stringContaining('Keeping the 1 API keys in force')]);
    expect(errors[0]).toContain('expected JSON');
    writeKeyFile(file, [kept.record, newApiKey('added', ['admin'], new Date()).record]);
    chmodSync(file, 0o666);
    store.reload();
    expect(store.size).toBe(1);
    expect(errors[1]).toContain('chmod 600');
    chmodSync(file, 0o600);
    store.reload();
    expect(store.size).toBe(2);
    expect(errors.join('\n')).not.toContain(kept.record.sha256);
  });
});
