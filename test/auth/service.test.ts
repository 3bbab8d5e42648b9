import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKey } from '../../src/auth/api-keys.js';
import { KEY_RELOAD_BOUND_MS } from '../../src/auth/key-store.js';
import { uniqueTopic } from '../support/broker.js';
import { sleep, until } from '../support/load.js';
import { startService, type RunningService } from '../support/service.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const file = join(mkdtempSync(join(tmpdir(), 'keys-cli-')), 'api-keys.json');

/** `npm run keys -- …` as an operator types it, on the test's keys file. */
async function keys(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('npm', ['run', 'keys', '--', ...args], {
      cwd: ROOT,
      env: { ...process.env, API_KEYS_FILE: file },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Creates a key with the CLI; the key is the last line of its output. */
async function create(name: string, ...roles: string[]): Promise<{ key: string; id: string; stdout: string }> {
  const { code, stdout, stderr } = await keys('create', '--name', name, ...roles.flatMap((role) => ['--role', role]));
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
  const key = stdout.trimEnd().split('\n').at(-1)!;
  return { key, id: parseApiKey(key)!.id, stdout };
}

async function call(
  service: RunningService,
  method: string,
  path: string,
  key?: string,
): Promise<{ status: number; challenge: string | null; cache: string | null; body: Record<string, unknown> }> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
    ...(method === 'POST' ? { body: JSON.stringify({ name: 'Ada Lovelace', amount: 1, class: 'CS' }) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    cache: response.headers.get('cache-control'),
    body: response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : { text },
  };
}

let service: RunningService;
let admin: { key: string; id: string; stdout: string };

beforeAll(async () => {
  admin = await create('operator', 'admin');
  service = await startService({ API_KEYS_FILE: file, KAFKA_TOPIC: uniqueTopic('keys'), SHARE_CLASSES: 'CS=1000' });
});

afterAll(async () => {
  await service?.stop();
});

describe('npm run keys (a real CLI, a real service process)', () => {
  it('create prints the details, then the key alone on the last line, once; the file is 0600 and holds no secret', async () => {
    const { stdout, key, id } = admin;
    expect(stdout).toContain(`Created API key ${id} (operator) with admin`);
    expect(stdout.split('\n').filter((line) => line.includes(key))).toEqual([key]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = readFileSync(file, 'utf8');
    expect(stored).toContain(id);
    expect(stored).not.toContain(parseApiKey(key)!.secret);
    expect(stored).not.toContain(key);
  });

  it('list prints one key a line: its id, then its name, roles, creation and expiry', async () => {
    const reader = await create('auditors of record', 'certificates:read', 'audit:read');
    const { code, stdout } = await keys('list');
    expect(code).toBe(0);
    const lines = stdout.split('\n').filter((line) => /^[0-9a-f]{16}\t/.test(line));
    expect(lines.map((line) => line.split('\t').slice(0, 3))).toEqual(
      expect.arrayContaining([
        [admin.id, 'operator', 'admin'],
        [reader.id, 'auditors of record', 'certificates:read,audit:read'],
      ]),
    );
    expect(lines.every((line) => /\tcreated=\d{4}-\d\d-\d\dT[^\t]+Z\texpires=never$/.test(line))).toBe(true);
    expect(stdout).not.toContain(reader.key);
  });

  it('refuses an unknown role naming the valid ones, and a date in the past', async () => {
    const role = await keys('create', '--name', 'x', '--role', 'root');
    expect(role.code).toBe(2);
    expect(role.stderr).toContain(
      'Expected --role to be one of certificates:issue, certificates:transfer, certificates:cancel, classes:adjust, certificates:read, audit:read, ops:read, admin, got "root"',
    );
    const past = await keys('create', '--name', 'x', '--role', 'admin', '--expires', '2001-01-01');
    expect(past.code).toBe(2);
    expect(past.stderr).toContain('Expected --expires to be in the future');
  });

  it('changes the file under a lock: while another command holds it, create refuses and names the lock', async () => {
    writeFileSync(`${file}.lock`, '');
    try {
      const blocked = await keys('create', '--name', 'second operator', '--role', 'admin');
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain(`is being changed by another command (${file}.lock exists; remove it if none runs)`);
    } finally {
      rmSync(`${file}.lock`);
    }
  });

  it('a key created while the service runs is accepted without a restart, and revoke has it refused within the stated bound', async () => {
    const issuer = await create('payroll', 'certificates:issue');
    let started = Date.now();
    let answer = await call(service, 'POST', '/certificates', issuer.key);
    while (answer.status === 401 && Date.now() - started < KEY_RELOAD_BOUND_MS + 1000) {
      await sleep(25);
      answer = await call(service, 'POST', '/certificates', issuer.key);
    }
    expect(answer.status).toBe(201);
    const acceptedAfter = Date.now() - started;

    const revoked = await keys('revoke', issuer.id);
    expect(revoked.stdout).toContain(`Revoked ${issuer.id} (payroll); running instances refuse it within 2 s.`);
    started = Date.now();
    for (;;) {
      // When the request left, not when its answer came: one sent within the bound may be answered past it.
      const sentAfter = Date.now() - started;
      if ((await call(service, 'POST', '/certificates', issuer.key)).status !== 201) break;
      expect(sentAfter).toBeLessThan(KEY_RELOAD_BOUND_MS);
      await sleep(25);
    }
    const refusedAfter = Date.now() - started;
    console.log(`a created key accepted ${acceptedAfter} ms after the CLI returned; a revoked one refused ${refusedAfter} ms after`);
    expect(await call(service, 'POST', '/certificates', issuer.key)).toMatchObject({
      status: 401,
      challenge: 'Bearer realm="stock-certificates", error="invalid_token"',
      body: { error: { code: 'unauthenticated', message: 'Unknown or revoked API key' } },
    });
    expect((await keys('revoke', issuer.id)).code).toBe(2);
  });
});

describe('SIGHUP (a real service process)', () => {
  it('reads the keys file again at once, and the process keeps serving', async () => {
    const before = service.output().split('"msg":"API keys reloaded"').length;
    service.child.kill('SIGHUP');
    await until('the reload to be logged', () => service.output().split('"msg":"API keys reloaded"').length > before, 5000);
    expect((await call(service, 'GET', '/classes', admin.key)).status).toBe(200);
  });
});

describe('who may call what (a real service process)', () => {
  it.each([
    ['POST', '/certificates'],
    ['POST', '/'],
    ['GET', '/certificates/CS-1'],
    ['GET', '/classes'],
    ['GET', '/metrics'],
  ])('answers %s %s without credentials 401 with a Bearer challenge', async (method, path) => {
    expect(await call(service, method, path)).toMatchObject({
      status: 401,
      challenge: 'Bearer realm="stock-certificates"',
      body: { error: { code: 'unauthenticated' } },
    });
  });

  it('answers a garbled key, a key of another service and a stranger token 401 invalid_token', async () => {
    for (const key of [
      `${admin.key.slice(0, -1)}`,
      'stc_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'eyJhbGciOiJub25lIn0.e30.',
    ]) {
      expect(await call(service, 'GET', '/classes', key)).toMatchObject({
        status: 401,
        challenge: 'Bearer realm="stock-certificates", error="invalid_token"',
      });
    }
  });

  it('answers a valid key without the role 403 insufficient_scope naming the role, and lets each role do its part', async () => {
    const reader = await create('reader', 'certificates:read');
    const issuer = await create('issuer', 'certificates:issue');
    await sleep(KEY_RELOAD_BOUND_MS);
    expect(await call(service, 'POST', '/certificates', reader.key)).toMatchObject({
      status: 403,
      challenge: 'Bearer realm="stock-certificates", error="insufficient_scope", scope="certificates:issue"',
      body: { error: { code: 'insufficient_scope', required: 'certificates:issue' } },
    });
    expect(await call(service, 'GET', '/classes', issuer.key)).toMatchObject({
      status: 403,
      body: { error: { code: 'insufficient_scope', required: 'certificates:read' } },
    });
    expect(await call(service, 'GET', '/metrics', reader.key)).toMatchObject({ status: 403, body: { error: { required: 'ops:read' } } });
    const issued = await call(service, 'POST', '/certificates', issuer.key);
    expect(issued.status).toBe(201);
    const read = await call(service, 'GET', `/certificates/${String(issued.body.id)}`, reader.key);
    expect([read.status, read.cache, read.body.name]).toEqual([200, 'private, no-store', 'Ada Lovelace']);
    expect((await call(service, 'GET', '/metrics', admin.key)).status).toBe(200);
  });

  it('answers /healthz and a bare /readyz to anyone, minimally, and the detailed /readyz to ops:read', async () => {
    expect(await call(service, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await call(service, 'GET', '/readyz')).body).toEqual({ status: 'ready' });
    expect((await call(service, 'GET', '/readyz', admin.key)).body).toMatchObject({ status: 'ready', role: 'writer' });
    expect((await call(service, 'GET', '/openapi.json')).status).toBe(200);
  });
});
