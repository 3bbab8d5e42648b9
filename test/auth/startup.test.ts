import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseApiKey } from '../../src/auth/api-keys.js';
import { broker, uniqueTopic } from '../support/broker.js';
import { freePort, startService } from '../support/service.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
// From outside the repository `--import tsx` would not resolve: the loader by its path.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * src/main.ts as a newcomer or an operator starts it: from `cwd`, with only `env` (and PATH) set, no
 * settings of the test suite's. Resolves with what it printed once it exits or prints `until`.
 */
function run(
  cwd: string,
  env: Record<string, string>,
  until?: RegExp,
): Promise<{ code: number | null; output: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async (): Promise<void> => {
    child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => void stop(), 60_000);
    const seen = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (until?.test(output)) resolve({ code: null, output, stop });
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    void exited.then((code) => {
      clearTimeout(timer);
      resolve({ code, output, stop });
    });
  });
}

const empty = (): string => mkdtempSync(join(tmpdir(), 'newcomer-'));

describe('npm start with nothing configured (a real process)', () => {
  it('binds to loopback, makes a development admin key in ./.state once, and prints it with a curl line that works', async () => {
    const cwd = empty();
    const port = await freePort();
    // Only where the suite's broker is and a port of its own: no authentication setting, no HOST, no STATE_DIR.
    const env = {
      KAFKA_BROKERS: broker().brokers.join(','),
      PORT: String(port),
      // PORT + 1 may be taken on a busy machine; the default is proven elsewhere (test/config.test.ts).
      INTERNAL_PORT: String(await freePort()),
      KAFKA_TOPIC: uniqueTopic('newcomer'),
    };
    const first = await run(cwd, env, /curl [^\n]+\n/);
    try {
      const key = /^ {2}(stc_\S+)$/m.exec(first.output)?.[1];
      expect(key, first.output).toBeDefined();
      const curl = /^ {2}(curl .+)$/m.exec(first.output)![1]!;
      expect(curl).toContain(`http://127.0.0.1:${port}/certificates`);
      const file = join(cwd, '.state', 'api-keys.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).not.toContain(parseApiKey(key!)!.secret);
      // The line as printed, through a shell, as the newcomer pastes it.
      const { stdout } = await promisify(execFile)('sh', ['-c', `${curl} -s -w '\\n%{http_code}'`]);
      expect(stdout.trim().split('\n').at(-1)).toBe('201');
      expect(JSON.parse(stdout.trim().split('\n')[0]!)).toMatchObject({ id: 'CS-1', name: 'Ada Lovelace', amount: 100 });
      const unauthenticated = await fetch(`http://127.0.0.1:${port}/classes`);
      expect(unauthenticated.status).toBe(401);
      // Loopback only: the machine's other addresses do not answer.
      const outside = Object.values(networkInterfaces())
        .flat()
        .find((address) => address !== undefined && !address.internal && address.family === 'IPv4');
      if (outside !== undefined) {
        await expect(fetch(`http://${outside.address}:${port}/healthz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
      }
    } finally {
      await first.stop();
    }
    // A second start finds the key and prints none.
    const second = await run(cwd, env, /"msg":"listening"/);
    try {
      expect(second.output).not.toContain('stc_');
      expect(second.output).toContain('"msg":"API keys read"');
    } finally {
      await second.stop();
    }
  });
});

describe('refusing to start open (real processes)', () => {
  it.each([
    [
      'NODE_ENV=production with no settings',
      { NODE_ENV: 'production' },
      ['`API_KEYS_FILE`', '`OIDC_ISSUER`', '`PUBLIC_URL`', '`CLUSTER_SECRET_FILE`', 'NODE_ENV=production'],
    ],
    [
      'NODE_ENV=production without PUBLIC_URL',
      { NODE_ENV: 'production', API_KEYS_FILE: '/nonexistent/keys.json' },
      ['`PUBLIC_URL` to be set'],
    ],
    ['a non-loopback HOST without API_KEYS_FILE or OIDC_ISSUER', { HOST: '0.0.0.0' }, ['`API_KEYS_FILE`', '`OIDC_ISSUER`', 'HOST=0.0.0.0']],
    ['AUTH_DISABLED=1 on 0.0.0.0', { AUTH_DISABLED: '1', HOST: '0.0.0.0' }, ['`AUTH_DISABLED` only with a loopback HOST', 'HOST=0.0.0.0']],
    [
      'AUTH_DISABLED=1 in production',
      { AUTH_DISABLED: '1', NODE_ENV: 'production', API_KEYS_FILE: '/k', PUBLIC_URL: 'https://x.example' },
      ['NODE_ENV=production'],
    ],
    [
      'an API_KEYS_FILE that does not exist',
      { API_KEYS_FILE: '/nonexistent/keys.json', KAFKA_BROKERS: '127.0.0.1:1' },
      ['`API_KEYS_FILE`', 'ENOENT'],
    ],
  ])('refuses %s, naming what to set', async (_, env, expected) => {
    const { code, output } = await run(empty(), env);
    expect(code).not.toBe(0);
    for (const text of expected) expect(output).toContain(text);
    expect(output).not.toContain('"msg":"listening"');
  });

  it('with AUTH_DISABLED=1 on loopback, starts, warns loudly, and answers without credentials', async () => {
    const service = await startService({ AUTH_DISABLED: '1', KAFKA_TOPIC: uniqueTopic('disabled'), API_KEYS_FILE: '' });
    try {
      expect(service.output()).toContain('AUTHENTICATION IS DISABLED (AUTH_DISABLED=1)');
      const response = await fetch(`${service.url}/certificates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Bench', amount: 1, class: 'CS' }),
      });
      expect(response.status).toBe(201);
    } finally {
      await service.stop();
    }
  });
});
