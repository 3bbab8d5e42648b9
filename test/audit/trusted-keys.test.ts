/**
 * Which keys `npm run audit` trusts: the public halves of SIGNING_KEY_FILE by default, or a published
 * JWK set given with --keys (a file, or a URL fetched once, bounded in time and size), read strictly;
 * without keys it trusts none. Run as the CLI, on a signed topic on the suite's broker.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS_FETCH_TIMEOUT_MS } from '../../src/audit/trusted-keys.js';
import { newStoredKey, readSigningFile, signingKeysOf, writeSigningFile } from '../../src/signing/key-file.js';
import { SigningKeys } from '../../src/signing/signing-keys.js';
import { runAudit, type AuditRun } from '../support/audit-cli.js';
import { uniqueTopic } from '../support/broker.js';
import { freePort } from '../support/free-port.js';
import { certificates } from '../support/certificates.js';
import { SignedLogBuilder } from '../support/signed-log.js';
import { signingKeys, SIGNING_FILE } from '../support/signing.js';
import { produce } from '../support/tamper.js';

const SHARE_CLASSES = 'CS=1000';
const KEYS = signingKeys();
const SET = KEYS.publicSet();
const KID = SET.keys[0]!.kid;
const topic = uniqueTopic('audit-keys');
const dir = mkdtempSync(join(tmpdir(), 'audit-keys-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const audit = (env: Record<string, string>, args: string[] = []): Promise<AuditRun> =>
  runAudit({ KAFKA_TOPIC: topic, SHARE_CLASSES, ...env }, args);

/** A server that answers each path as told, counting requests. */
let server: Server;
let base: string;
/** A port nothing listens on. */
let closedPort: number;
const requests: string[] = [];
const answers: Record<string, (response: import('node:http').ServerResponse) => void> = {
  '/.well-known/jwks.json': (response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(SET)),
  '/missing': (response) => response.writeHead(404).end(),
  '/private': (response) => response.writeHead(200).end(JSON.stringify({ keys: [{ ...SET.keys[0], d: newStoredKey(new Date()).d }] })),
  '/huge': (response) => response.writeHead(200).end(JSON.stringify({ keys: [], padding: 'x'.repeat(2 * 1024 * 1024) })),
  // Never answers: the audit must give up on its own.
  '/silent': () => undefined,
};

beforeAll(async () => {
  const builder = new SignedLogBuilder([{ code: 'CS', authorized: 1000 }], KEYS);
  const [one, two, three] = certificates('CS', 1, 3);
  const records = [builder.unsigned([one!]), builder.signed([two!], KEYS), builder.signed([three!], KEYS)].flatMap(
    (write) => write.encoded,
  );
  await produce(topic, records, { create: true });
  server = createServer((request, response) => {
    requests.push(request.url!);
    answers[request.url!]?.(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closedPort = await freePort();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('the keys npm run audit trusts', () => {
  it('by default, the public halves of SIGNING_KEY_FILE, or of an auditor’s copy holding only public halves', async () => {
    const result = await audit({ SIGNING_KEY_FILE: SIGNING_FILE });
    expect(result.stdout).toContain(`trusted signing keys: ${KID} (${SIGNING_FILE})`);
    expect(result.stdout).toContain('signed log: 2 signed writes from offset 1 on');
    expect(result.code).toBe(0);

    const publicOnly = join(dir, 'public-signing-keys.json');
    writeSigningFile(
      publicOnly,
      readSigningFile(SIGNING_FILE).keys.map(({ kid, notBefore, x }) => ({ kid, notBefore, x })),
    );
    expect((await audit({ SIGNING_KEY_FILE: publicOnly })).code).toBe(0);
  }, 60_000);

  it('with --keys, a published JWK set from a file, or from a URL fetched once', async () => {
    const fromFile = await audit({ SIGNING_DISABLED: '1' }, ['--keys', file('jwks.json', JSON.stringify(SET))]);
    expect(fromFile.stdout).toContain(`trusted signing keys: ${KID} (${join(dir, 'jwks.json')})`);
    expect(fromFile.code).toBe(0);

    requests.length = 0;
    const url = `${base}/.well-known/jwks.json`;
    const fromUrl = await audit({ SIGNING_DISABLED: '1' }, ['--keys', url]);
    expect(fromUrl.stdout).toContain(`trusted signing keys: ${KID} (${url})`);
    expect(fromUrl.code).toBe(0);
    expect(requests).toEqual(['/.well-known/jwks.json']);
  }, 60_000);

  it('fails every seal of a key it was not given, naming the offset and reason', async () => {
    const other = new SigningKeys(signingKeysOf([newStoredKey(new Date())], 'other')).publicSet();
    const result = await audit({ SIGNING_KEY_FILE: SIGNING_FILE }, ['--keys', file('other.json', JSON.stringify(other))]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`  seal at offset 2: key ${KID} is not a trusted signing key (untrusted_key)`);

    const none = await audit({ SIGNING_DISABLED: '1' });
    expect(none.stdout).toContain('trusted signing keys: none: signing is disabled (SIGNING_DISABLED)');
    expect(none.stdout).toContain('unsigned log: no write signed by a trusted key');
    expect(none.code).toBe(1);
  }, 60_000);

  it.each([
    ['a URL that answers 404', () => `${base}/missing`, /answered 404, expected 200/],
    ['a set holding a private half', () => `${base}/private`, /keys\[0\]: holds a private key/],
    ['a set above 1 MiB', () => `${base}/huge`, /expected a JWK set of at most 1048576 bytes/],
    ['a file that is not a key set', () => file('not-a-set.json', '{"keys":{}}'), /expected \{"keys": \[\.\.\.\]\} and nothing else/],
    ['a file that does not exist', () => join(dir, 'absent.json'), /absent\.json: cannot be read \(ENOENT\)/],
    ['a URL over plain http to another machine', () => 'http://keys.example.com/jwks.json', /expected an https URL/],
    ['a URL nothing answers at', () => `http://127.0.0.1:${closedPort}/jwks.json`, /jwks\.json: cannot be fetched \(.*ECONNREFUSED/],
  ])(
    'stops with status 2 on %s, saying why',
    async (_, keys, message) => {
      const result = await audit({ SIGNING_KEY_FILE: SIGNING_FILE }, ['--keys', keys()]);
      expect(result.stderr).toMatch(message);
      expect(result.code).toBe(2);
    },
    60_000,
  );

  it('stops with status 2 when SIGNING_KEY_FILE names a file that does not exist', async () => {
    const result = await audit({ SIGNING_KEY_FILE: join(dir, 'no-such-keys.json') });
    expect(result.stderr).toMatch(/no-such-keys\.json: cannot be read \(ENOENT\)/);
    expect(result.code).toBe(2);
  }, 60_000);

  it(`gives up on a URL that does not answer within ${KEYS_FETCH_TIMEOUT_MS / 1000} s`, async () => {
    const started = Date.now();
    const result = await audit({ SIGNING_KEY_FILE: SIGNING_FILE }, ['--keys', `${base}/silent`]);
    expect(result.stderr).toContain(`${base}/silent: did not answer within ${KEYS_FETCH_TIMEOUT_MS} ms`);
    expect(result.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(KEYS_FETCH_TIMEOUT_MS + 15_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(KEYS_FETCH_TIMEOUT_MS);
  }, 60_000);
});
