/**
 * The issue's attacker suite: one real service process, a real identity provider process, a real
 * broker, and a caller who tries what an internet attacker or a holder of the wrong credentials
 * would. Proven elsewhere, not repeated here:
 *
 * - a revoked key refused within the stated bound without a signal: test/auth/service.test.ts ("revoke has it refused within the stated bound");
 * - `/internal/issue` absent on the public port, refused without the cluster's proof on the internal one: test/cluster/internal-path.test.ts;
 * - a rogue member of the election group gets no forwarded request and answers no client: test/faults/rogue-member.test.ts;
 * - a token signed by a key the provider does not publish, or by another provider, a token not yet valid, a rotated key: test/auth/oidc.test.ts.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey } from '../../src/auth/api-keys.js';
import { updateKeyFile, writeKeyFile } from '../../src/auth/key-file.js';
import { KEY_RELOAD_BOUND_MS } from '../../src/auth/key-store.js';
import type { Role } from '../../src/core/principal.js';
import { parseShareClasses } from '../../src/config.js';
import { auditTopic } from '../support/audit.js';
import { broker, uniqueTopic } from '../support/broker.js';
import { concurrently } from '../support/http.js';
import { sleep } from '../support/load.js';
import { readLog } from '../support/log.js';
import { startOidcProvider, TEST_AUDIENCE, type TestProvider } from '../support/oidc-provider.js';
import { startService, type RunningService } from '../support/service.js';
import { SIGNING_FILE } from '../support/signing.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHARE_CLASSES = 'CS=1000000000';
const topic = uniqueTopic('attacker');
const PER_SECOND = 20;
const BURST = 40;
/** How much the service's resident set may grow under the flood of distinct credentials and ids. */
const RSS_GROWTH_BOUND_MIB = 60;
const FLOOD_EACH = 20_000;

/** Three API keys made with the real key functions, in a keys file of their own. */
function makeKeys() {
  const file = join(mkdtempSync(join(tmpdir(), 'attacker-keys-')), 'api-keys.json');
  const make = (name: string, role: Role, expiresAt?: Date) => {
    const { key, record } = newApiKey(name, [role], new Date(), expiresAt);
    return { key, id: record.id, record };
  };
  const keys = {
    issuer: make('issuing desk', 'certificates:issue'),
    reader: make('registrar', 'certificates:read'),
    ops: make('on call', 'ops:read'),
    // Revoked by the test; and one past its expiry, as a key the CLI made a year ago would be.
    departed: make('departed clerk', 'certificates:read'),
    expired: make('last year', 'certificates:read', new Date(Date.now() - 60_000)),
  };
  writeKeyFile(
    file,
    Object.values(keys).map((made) => made.record),
  );
  return { file, ...keys };
}

const keys = makeKeys();
let provider: TestProvider;
let service: RunningService;
/** A provider whose tokens live one second, and a service trusting it with no clock skew: for the expired token. */
let shortLived: TestProvider;
let strict: RunningService;
/** Certificates each principal was answered 201 for (a replay is no new certificate). */
const issuedBy = new Map<string, number>();

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Record<string, unknown>;
}

async function call(
  method: string,
  path: string,
  options: { bearer?: string; body?: unknown; headers?: Record<string, string>; at?: RunningService } = {},
): Promise<Answer> {
  const response = await fetch(`${(options.at ?? service).url}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.bearer === undefined ? {} : { authorization: `Bearer ${options.bearer}` }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json') === true && text !== '';
  return { status: response.status, headers: response.headers, text, body: json ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** POST /certificates as `bearer`, counting a new certificate against `principal`. */
async function issueAs(principal: string, bearer: string, body: object, headers: Record<string, string> = {}): Promise<Answer> {
  const answer = await call('POST', '/certificates', { bearer, body, headers });
  if (answer.status === 201 && answer.headers.get('idempotent-replayed') !== 'true')
    issuedBy.set(principal, (issuedBy.get(principal) ?? 0) + 1);
  return answer;
}

const keyPrincipal = (key: { id: string }): string => `key:${key.id}`;
const tokenPrincipal = (): string => `oidc:${provider.issuer}#issuer`;

/** `token`'s claims, unchanged, under `header` and with `signature`: a real token tampered with. */
function reheaded(token: string, header: object, signature: string): string {
  const payload = token.split('.')[1]!;
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${signature}`;
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line!)![1]);
}

beforeAll(async () => {
  [provider, shortLived] = await Promise.all([startOidcProvider(), startOidcProvider({ accessTokenTtlSeconds: 3 })]);
  [service, strict] = await Promise.all([
    startService({
      KAFKA_TOPIC: topic,
      SHARE_CLASSES,
      API_KEYS_FILE: keys.file,
      OIDC_ISSUER: provider.issuer,
      OIDC_AUDIENCE: TEST_AUDIENCE,
      OIDC_ROLES_CLAIM: 'realm_access.roles',
      RATE_LIMIT_PER_SECOND: String(PER_SECOND),
      RATE_LIMIT_BURST: String(BURST),
    }),
    startService({
      KAFKA_TOPIC: uniqueTopic('attacker-expiry'),
      SHARE_CLASSES,
      API_KEYS_FILE: keys.file,
      OIDC_ISSUER: shortLived.issuer,
      OIDC_AUDIENCE: TEST_AUDIENCE,
      OIDC_CLOCK_SKEW_SECONDS: '0',
    }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([service?.stop(), strict?.stop()]);
  await Promise.all([provider?.stop(), shortLived?.stop()]);
});

describe('an attacker against a real service, identity provider and broker', () => {
  const challenge = (answer: Answer) => answer.headers.get('www-authenticate') ?? '';

  it('answers no, garbage, wrong-audience, re-signed, alg:none, HS256 and unknown-key credentials 401 unauthenticated with a Bearer challenge', async () => {
    const token = await provider.token('issuer');
    const claims = decodeJwt(token);
    const { kid } = decodeProtectedHeader(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const at = Math.floor(signature.length / 2);
    const refused: Record<string, string | undefined> = {
      none: undefined,
      garbage: 'not-a-token-at-all',
      'another audience': await provider.token('issuer', { resource: 'https://payroll.test' }),
      'one signature byte changed': `${header}.${payload}.${signature.slice(0, at)}${signature[at] === 'A' ? 'B' : 'A'}${signature.slice(at + 1)}`,
      'alg: none': new UnsecuredJWT(claims).encode(),
      'alg: none, the real header otherwise': reheaded(token, { alg: 'none', kid }, ''),
      HS256: await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: kid! })
        .sign(new TextEncoder().encode('guessed-secret-of-thirty-two-bytes')),
      'unknown key': `stc_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`,
      'a real key with one secret byte changed': `${keys.issuer.key.slice(0, -1)}${keys.issuer.key.endsWith('A') ? 'B' : 'A'}`,
    };
    for (const [what, bearer] of Object.entries(refused)) {
      const answer = await call('POST', '/certificates', { bearer, body: { class: 'CS', name: 'Mallory', amount: 1 } });
      expect({ what, status: answer.status, code: (answer.body.error as { code?: string } | undefined)?.code }).toEqual({
        what,
        status: 401,
        code: 'unauthenticated',
      });
      expect(challenge(answer)).toMatch(/^Bearer realm="stock-certificates"/);
      if (bearer !== undefined) expect(challenge(answer)).toContain('error="invalid_token"');
    }
    // The real token itself passes: what was refused was the change.
    expect((await call('GET', '/classes', { bearer: token })).status).toBe(200);
  });

  it('answers a revoked key and an expired key 401 invalid_token', async () => {
    expect((await call('GET', '/classes', { bearer: keys.departed.key })).status).toBe(200);
    // Revoked as `npm run keys -- revoke` does; SIGHUP has it read at once (the bound without it: test/auth/service.test.ts).
    updateKeyFile(keys.file, (all) => all.filter((record) => record.id !== keys.departed.id));
    service.child.kill('SIGHUP');
    const started = Date.now();
    while ((await call('GET', '/classes', { bearer: keys.departed.key })).status === 200) {
      expect(Date.now() - started).toBeLessThan(KEY_RELOAD_BOUND_MS);
      await sleep(25);
    }
    for (const [what, bearer, message] of [
      ['revoked', keys.departed.key, 'Unknown or revoked API key'],
      ['expired', keys.expired.key, `API key ${keys.expired.id} expired at ${keys.expired.record.expiresAt}`],
    ] as const) {
      const answer = await call('GET', '/classes', { bearer });
      expect({ what, status: answer.status, body: answer.body, challenge: challenge(answer) }).toEqual({
        what,
        status: 401,
        body: { error: { code: 'unauthenticated', message, bearerError: 'invalid_token' } },
        challenge: 'Bearer realm="stock-certificates", error="invalid_token"',
      });
    }
  });

  it('answers an expired token 401 where the same token was accepted before it expired (OIDC_CLOCK_SKEW_SECONDS=0)', async () => {
    // The provider's tokens live three seconds: iat is rounded down, so a one-second token could
    // expire before a loaded machine answers its first call.
    const token = await shortLived.token('issuer');
    const { exp } = decodeJwt(token);
    expect((await call('GET', '/classes', { bearer: token, at: strict })).status).toBe(200);
    await sleep(exp! * 1000 + 1100 - Date.now());
    const answer = await call('GET', '/classes', { bearer: token, at: strict });
    expect([answer.status, (answer.body.error as { code: string }).code]).toEqual([401, 'unauthenticated']);
    expect(challenge(answer)).toBe('Bearer realm="stock-certificates", error="invalid_token"');
    expect((answer.body.error as { message: string }).message).toContain('"exp"');
  }, 15_000);

  it("issues for a valid JWT and a valid key, and the record names each principal and the answer's Request-Id", async () => {
    const jwt = await issueAs(tokenPrincipal(), await provider.token('issuer'), { class: 'CS', name: 'Grace Hopper', amount: 3 });
    const key = await issueAs(keyPrincipal(keys.issuer), keys.issuer.key, { class: 'CS', name: 'Ada Lovelace', amount: 5 });
    expect([jwt.status, key.status]).toEqual([201, 201]);
    const records = (await readLog(topic)).flatMap((entry) => (entry.record === undefined ? [] : [entry.record]));
    for (const [answer, principal] of [
      [jwt, tokenPrincipal()],
      [key, keyPrincipal(keys.issuer)],
    ] as const) {
      const requestId = answer.headers.get('request-id');
      expect(requestId).toMatch(/\S/);
      const record = records.find((entry) => entry.requestId === requestId);
      expect(record).toMatchObject({ principal, requestId, name: answer.body.name, amount: answer.body.amount });
    }
  });

  it('answers a principal without the role 403 insufficient_scope naming the role', async () => {
    const body = { class: 'CS', name: 'Mallory', amount: 1 };
    const cases: Array<[string, string, string, string]> = [
      ['reader JWT issuing', 'POST', await provider.token('reader'), 'certificates:issue'],
      ['reader key issuing', 'POST', keys.reader.key, 'certificates:issue'],
      ['a JWT with no roles claim issuing', 'POST', await provider.token('nobody'), 'certificates:issue'],
      ['ops key reading a certificate', 'GET', keys.ops.key, 'certificates:read'],
      ['issue-only key reading a certificate', 'GET', keys.issuer.key, 'certificates:read'],
      ['reader key reading the metrics', 'GET /metrics', keys.reader.key, 'ops:read'],
    ];
    for (const [what, method, bearer, role] of cases) {
      const answer =
        method === 'POST'
          ? await call('POST', '/certificates', { bearer, body })
          : await call('GET', method === 'GET' ? '/certificates/CS-1' : '/metrics', { bearer });
      expect({ what, status: answer.status, body: answer.body }).toMatchObject({
        what,
        status: 403,
        body: { error: { code: 'insufficient_scope', required: role } },
      });
      expect((answer.body.error as { message: string }).message).toContain(role);
      expect(challenge(answer)).toBe(`Bearer realm="stock-certificates", error="insufficient_scope", scope="${role}"`);
    }
  });

  it('answers enumeration without the read role 401 (no credentials) or 403 (ops key), with nothing of any holder; the reader gets it privately', async () => {
    const paths = [...Array.from({ length: 20 }, (_, index) => `/certificates/CS-${index + 1}`), '/classes'];
    for (const path of paths) {
      const anonymous = await call('GET', path);
      const ops = await call('GET', path, { bearer: keys.ops.key });
      expect([path, anonymous.status, ops.status]).toEqual([path, 401, 403]);
      for (const text of [anonymous.text, ops.text]) {
        for (const secret of ['Ada Lovelace', 'Grace Hopper', '"amount"', '"name"', 'sharesIssued']) expect(text).not.toContain(secret);
      }
    }
    const read = await call('GET', '/certificates/CS-1', { bearer: keys.reader.key });
    expect([read.status, read.headers.get('cache-control')]).toEqual([200, 'private, no-store']);
    expect(['Grace Hopper', 'Ada Lovelace']).toContain(read.body.name);
    const classes = await call('GET', '/classes', { bearer: keys.reader.key });
    expect([classes.status, classes.headers.get('cache-control')]).toEqual([200, 'private, no-store']);
  });

  it('answers /verify with a wrong digest 200 {matches:false} with neither holder nor amount, as JSON and as HTML', async () => {
    const issued = await issueAs(keyPrincipal(keys.issuer), keys.issuer.key, {
      class: 'CS',
      name: 'Verity Quartermaine',
      amount: 8_765_432,
    });
    const id = String(issued.body.id);
    // The digest printed on the paper is the representation's validator (ETag "<digest>.json").
    const digest = /([0-9a-f]{16})\.json/.exec(
      (await call('GET', `/certificates/${id}`, { bearer: keys.reader.key })).headers.get('etag') ?? '',
    )![1]!;
    const wrong = digest.replace(/^./, (first) => (first === '0' ? '1' : '0'));
    const revealing = ['Verity', 'Quartermaine', '8765432', '8,765,432'];
    for (const accept of ['application/json', 'text/html']) {
      const answer = await call('GET', `/certificates/${id}/verify?digest=${wrong}`, { headers: { accept } });
      expect([accept, answer.status]).toEqual([accept, 200]);
      if (accept === 'application/json') expect(answer.body).toEqual({ id, matches: false });
      expect(revealing.filter((part) => answer.text.includes(part))).toEqual([]);
      // The same check with the printed digest shows the holder: what the wrong one withheld was there to show.
      const genuine = await call('GET', `/certificates/${id}/verify?digest=${digest}`, { headers: { accept } });
      expect(genuine.text).toContain('Verity Quartermaine');
    }
  });

  it("gives two principals sending one Idempotency-Key and body two certificates, replays each one's own, and refuses a reused key 422 without the first request", async () => {
    const body = { class: 'CS', name: 'Idempotent Isambard', amount: 7_654_321 };
    const same = { 'idempotency-key': `shared-${randomUUID()}` };
    const jwt = await provider.token('issuer');
    const byKey = await issueAs(keyPrincipal(keys.issuer), keys.issuer.key, body, same);
    const byToken = await issueAs(tokenPrincipal(), jwt, body, same);
    expect([byKey.status, byToken.status]).toEqual([201, 201]);
    expect(byKey.body.id).not.toBe(byToken.body.id);
    const retries = [
      await issueAs(keyPrincipal(keys.issuer), keys.issuer.key, body, same),
      await issueAs(tokenPrincipal(), jwt, body, same),
    ];
    expect(retries.map((answer) => [answer.status, answer.body.id, answer.headers.get('idempotent-replayed')])).toEqual([
      [201, byKey.body.id, 'true'],
      [201, byToken.body.id, 'true'],
    ]);
    const reused = await issueAs(keyPrincipal(keys.issuer), keys.issuer.key, { class: 'CS', name: 'Someone Else', amount: 2 }, same);
    expect([reused.status, (reused.body.error as { code: string }).code]).toEqual([422, 'idempotency_key_reused']);
    expect(reused.text).not.toContain('Isambard');
    expect(reused.text).not.toContain('7654321');
  });

  it('refuses bidi controls, zero-width characters and a mixed-script name 400 invalid_name, and issues nothing', async () => {
    const before = (await readLog(topic)).length;
    for (const name of ['Alice \u202Eecila', '\u2066Alice\u2069 Smith', 'Al\u200Bice Smith', '\u0410lice Smith']) {
      const answer = await call('POST', '/certificates', { bearer: keys.issuer.key, body: { class: 'CS', name, amount: 1 } });
      expect([JSON.stringify(name), answer.status, (answer.body.error as { code?: string } | undefined)?.code]).toEqual([
        JSON.stringify(name),
        400,
        'invalid_name',
      ]);
    }
    expect((await readLog(topic)).length).toBe(before);
  });

  it("answers one principal's flood 429 with Retry-After and RateLimit fields while another principal's requests pass", async () => {
    const jwt = await provider.token('issuer');
    const flood = concurrently(200, 20, () =>
      issueAs(keyPrincipal(keys.issuer), keys.issuer.key, { class: 'CS', name: 'Flo Od', amount: 1 }),
    );
    const other: Answer[] = [];
    for (let sent = 0; sent < 10; sent++) {
      other.push(await issueAs(tokenPrincipal(), jwt, { class: 'CS', name: 'Steady State', amount: 1 }));
      await sleep(60);
    }
    const answers = await flood;
    const limited = answers.filter((answer) => answer.status === 429);
    console.log(
      `[attacker] flood of 200 from one key: ${answers.length - limited.length} issued, ${limited.length} answered 429; ` +
        `the token's 10 meanwhile: ${other.map((answer) => answer.status).join(',')}`,
    );
    expect(limited.length).toBeGreaterThan(100);
    expect(answers.filter((answer) => answer.status !== 429 && answer.status !== 201)).toEqual([]);
    for (const answer of limited) {
      expect((answer.body.error as { code: string }).code).toBe('too_many_requests');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(answer.headers.get('ratelimit-policy')).toMatch(new RegExp(`;q=${BURST};w=\\d+$`));
      expect(answer.headers.get('ratelimit')).toMatch(/;r=0;t=\d+$/);
    }
    expect(other.map((answer) => answer.status)).toEqual(Array(10).fill(201));
  });

  it(`keeps its resident set within ${RSS_GROWTH_BOUND_MIB} MiB under ${FLOOD_EACH} distinct unknown keys and ${FLOOD_EACH} distinct JWT-looking bearers`, async () => {
    const fakeKey = () => `stc_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    const fakeToken = () =>
      [
        { alg: 'RS256', typ: 'at+jwt', kid: randomUUID() },
        { iss: provider.issuer, aud: TEST_AUDIENCE, sub: randomUUID(), jti: randomUUID(), exp: Math.floor(Date.now() / 1000) + 600 },
        randomBytes(256),
      ]
        .map((part) => (Buffer.isBuffer(part) ? part : Buffer.from(JSON.stringify(part))).toString('base64url'))
        .join('.');
    const send = async (count: number, bearer: () => string): Promise<number[]> =>
      concurrently(count, 32, async () => {
        const response = await fetch(`${service.url}/certificates`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer()}`, 'idempotency-key': randomUUID() },
          body: JSON.stringify({ class: 'CS', name: 'Mallory Flood', amount: 1 }),
        });
        await response.arrayBuffer();
        return response.status;
      });
    // A first round warms the process (JIT, pools, buffers) so that what grows after is what the flood keeps.
    await send(1000, fakeKey);
    await send(1000, fakeToken);
    const before = rssKiB(service.pid);
    const started = Date.now();
    const statuses = [...(await send(FLOOD_EACH, fakeKey)), ...(await send(FLOOD_EACH, fakeToken))];
    const seconds = (Date.now() - started) / 1000;
    const after = rssKiB(service.pid);
    const growthMiB = (after - before) / 1024;
    console.log(
      `[attacker] RSS ${(before / 1024).toFixed(1)} MiB before, ${(after / 1024).toFixed(1)} MiB after ${statuses.length} requests ` +
        `with distinct credentials and Idempotency-Keys in ${seconds.toFixed(1)} s (${Math.round(statuses.length / seconds)}/s): +${growthMiB.toFixed(1)} MiB`,
    );
    // Refused: 401, and 429 once the address has spent its burst on refused credentials: guessing is rate limited too.
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(BURST + Math.ceil(PER_SECOND * seconds) + 1);
    expect(growthMiB).toBeLessThan(RSS_GROWTH_BOUND_MIB);
    // Still serving its real callers.
    expect((await call('GET', '/classes', { bearer: keys.reader.key })).status).toBe(200);
  }, 180_000);

  it('leaves a clean audit, and `npm run audit -- --by-principal` counts every certificate against the principal who asked', async () => {
    const expected = [...issuedBy]
      .map(([principal, certificates]) => ({ principal, certificates }))
      .sort((a, b) => (a.principal < b.principal ? -1 : 1));
    expect(expected.map((row) => row.principal).sort()).toEqual([keyPrincipal(keys.issuer), tokenPrincipal()].sort());
    const report = await auditTopic(topic, parseShareClasses(SHARE_CLASSES));
    expect([report.ok, report.violations]).toEqual([true, []]);
    expect(report.principals.map(({ principal, certificates }) => ({ principal, certificates }))).toEqual(expected);

    const { stdout } = await promisify(execFile)('npm', ['run', 'audit', '--', '--by-principal'], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BROKERS: broker().brokers.join(','), KAFKA_TOPIC: topic, SHARE_CLASSES, SIGNING_KEY_FILE: SIGNING_FILE },
    });
    for (const { principal, certificates } of expected) {
      const row = stdout.split('\n').find((line) => line.trimStart().startsWith(`${principal} `));
      expect(row?.trim().split(/\s+/).slice(0, 2)).toEqual([principal, String(certificates)]);
    }
  }, 60_000);
});
