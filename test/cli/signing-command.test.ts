import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROTATION_LEAD_MS, ROTATION_OVERLAP_MS, runSigningCommand } from '../../src/cli/signing-command.js';
import { headText, type Head } from '../../src/core/seal.js';
import { KEY_RELOAD_BOUND_MS } from '../../src/files/followed-file.js';
import { readSigningFile, signingKeysOf, type StoredKey } from '../../src/signing/key-file.js';
import { SigningKeys } from '../../src/signing/signing-keys.js';
import { signingKeys } from '../support/signing.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NOW = new Date('2031-03-01T12:00:00.000Z');
const at = (ms: number): string => new Date(NOW.getTime() + ms).toISOString();

function newFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'signing-cli-')), 'signing-keys.json');
}

/** The command as the CLI runs it, at NOW unless told; UsageErrors and file errors are thrown. */
function run(file: string, ...argv: string[]): string[] {
  return runSigningCommand(argv, file, NOW);
}

function stored(file: string): StoredKey[] {
  return readSigningFile(file).keys;
}

/** A head signed at `time` by whichever key the file's keys choose then, and how the file's keys judge it. */
function signAndCheck(file: string, time: string): { readonly key: string; readonly check: string } {
  const keys = signingKeys(file);
  const seal = keys.sign(unsignedAt(time));
  return { key: seal.head.key, check: keys.check(seal.head, headText(seal.head), seal.signature) };
}

/** Every private half in the file: none may ever be printed. */
function privateHalves(file: string): string[] {
  return stored(file).flatMap((key) => (key.d === undefined ? [] : [key.d]));
}

function unsignedAt(time: string): Omit<Head, 'key'> {
  return { v: 1, first: 0, count: 1, root: '0'.repeat(64), prev: '0'.repeat(64), classes: {}, at: time };
}

/** The file's key `kid` alone, as whoever holds its private half signs with it, its retirement ignored. */
function signingKeysWith(file: string, kid: string): SigningKeys {
  const { notBefore, x, d } = stored(file).find((stored) => stored.kid === kid)!;
  return new SigningKeys(signingKeysOf([{ kid, notBefore, x, d }], file));
}

describe('npm run keys -- signing (the commands)', () => {
  it('create adds a key that may sign from now, prints its id on the last line, and writes the file 0600', () => {
    const file = newFile();
    const output = run(file, 'create');
    const [key] = stored(file);
    expect(output.at(-1)).toBe(key!.kid);
    expect(output[0]).toContain(`may sign from ${NOW.toISOString()}`);
    expect(key).toMatchObject({ notBefore: NOW.toISOString() });
    expect(key!.retiredAt).toBeUndefined();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(signAndCheck(file, NOW.toISOString())).toEqual({ key: key!.kid, check: 'ok' });
    expect(output.join('\n')).not.toContain(key!.d);
  });

  it(`rotate adds a key that signs ${ROTATION_LEAD_MS / 1000} s from now and retires the current one ${ROTATION_OVERLAP_MS / 1000} s after: some key signs at every moment`, () => {
    const file = newFile();
    const old = run(file, 'create').at(-1)!;
    const output = run(file, 'rotate');
    const kid = output.at(-1)!;
    expect(ROTATION_LEAD_MS).toBeGreaterThan(KEY_RELOAD_BOUND_MS);
    expect(stored(file).map(({ kid, notBefore, retiredAt }) => ({ kid, notBefore, retiredAt }))).toEqual([
      { kid: old, notBefore: NOW.toISOString(), retiredAt: at(ROTATION_LEAD_MS + ROTATION_OVERLAP_MS) },
      { kid, notBefore: at(ROTATION_LEAD_MS), retiredAt: undefined },
    ]);
    expect(output.join('\n')).toContain(`Retiring ${old} at ${at(ROTATION_LEAD_MS + ROTATION_OVERLAP_MS)}`);
    // Before the lead the old key signs, from it on the new one; the old key's seals are valid up to its retirement and void after.
    expect(signAndCheck(file, at(ROTATION_LEAD_MS - 1))).toEqual({ key: old, check: 'ok' });
    for (const time of [ROTATION_LEAD_MS, ROTATION_LEAD_MS + ROTATION_OVERLAP_MS, 3_600_000]) {
      expect(signAndCheck(file, at(time))).toEqual({ key: kid, check: 'ok' });
    }
    const keys = signingKeys(file);
    const late = signingKeysWith(file, old).sign(unsignedAt(at(ROTATION_LEAD_MS + ROTATION_OVERLAP_MS)));
    expect(keys.check(late.head, headText(late.head), late.signature)).toBe('retired_key');
    const inTime = signingKeysWith(file, old).sign(unsignedAt(at(ROTATION_LEAD_MS + ROTATION_OVERLAP_MS - 1)));
    expect(keys.check(inTime.head, headText(inTime.head), inTime.signature)).toBe('ok');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('rotate refuses a file with no key that signs: create makes the first', () => {
    const file = newFile();
    expect(() => run(file, 'rotate')).toThrow('No signing key to rotate');
  });

  it('retire sets retiredAt, by default as soon as every instance has read it; from then on the key signs nothing', () => {
    const file = newFile();
    const first = run(file, 'create').at(-1)!;
    const second = run(file, 'create').at(-1)!;
    expect(run(file, 'retire', first)[0]).toContain(`${first} signs nothing from ${at(ROTATION_LEAD_MS)}`);
    const later = '2031-06-01T00:00:00.000Z';
    const output = run(file, 'retire', second, '--at', later);
    expect(stored(file).map(({ kid, retiredAt }) => [kid, retiredAt])).toEqual([
      [first, at(ROTATION_LEAD_MS)],
      [second, later],
    ]);
    // Nothing else signs after the second's retirement: the command says issuing stops then.
    expect(output.at(-1)).toContain(`No other key here may sign at ${later}: issuing stops then (503 signing_unavailable)`);
    expect(() => signingKeys(file).sign(unsignedAt(later))).toThrow('No signing key held here may sign');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('retire refuses a time in the past, a time sooner than every instance reads the file, an unknown key and a retirement already in force, leaving the file as it was', () => {
    const file = newFile();
    const kid = run(file, 'create').at(-1)!;
    const before = readFileSync(file, 'utf8');
    expect(() => run(file, 'retire', kid, '--at', '2031-03-01T11:59:59Z')).toThrow(
      'Expected --at to be in the future, got 2031-03-01T11:59:59.000Z: a retirement in the past would void records that every reader has already judged valid',
    );
    expect(() => run(file, 'retire', kid, '--at', at(KEY_RELOAD_BOUND_MS))).toThrow(
      `Expected --at no sooner than ${at(ROTATION_LEAD_MS)} (${ROTATION_LEAD_MS / 1000} s from now)`,
    );
    expect(() => run(file, 'retire', kid, '--at', 'tomorrow')).toThrow('Expected --at to be an ISO 8601 time');
    expect(() => run(file, 'retire', 'sk-nobody')).toThrow('No signing key "sk-nobody"');
    expect(readFileSync(file, 'utf8')).toBe(before);
    run(file, 'retire', kid);
    // Once in force (or about to be, for every instance), a retirement is fixed: moving it would change verdicts.
    const soon = new Date(NOW.getTime() + 1000);
    expect(() => runSigningCommand(['retire', kid, '--at', '2032-01-01T00:00:00Z'], file, soon)).toThrow(
      `${kid} is retired already, from ${at(ROTATION_LEAD_MS)}`,
    );
  });

  it('list prints one key a line (id, notBefore, retiredAt, private or public) and public the JWK set; neither prints a private key', () => {
    const file = newFile();
    const old = run(file, 'create').at(-1)!;
    const kid = run(file, 'rotate').at(-1)!;
    expect(run(file, 'list')).toEqual([
      `${old}\tnotBefore=${NOW.toISOString()}\tretiredAt=${at(ROTATION_LEAD_MS + ROTATION_OVERLAP_MS)}\tprivate`,
      `${kid}\tnotBefore=${at(ROTATION_LEAD_MS)}\tretiredAt=never\tprivate`,
    ]);
    const published = JSON.parse(run(file, 'public').join('\n')) as { keys: Array<Record<string, unknown>> };
    expect(published).toEqual(JSON.parse(JSON.stringify(signingKeys(file).publicSet())));
    expect(published.keys.map((key) => [key.kid, key.kty, key.crv, key.alg, 'd' in key])).toEqual([
      [old, 'OKP', 'Ed25519', 'EdDSA', false],
      [kid, 'OKP', 'Ed25519', 'EdDSA', false],
    ]);
    const printed = [...run(file, 'list'), ...run(file, 'public')].join('\n');
    expect(privateHalves(file).filter((d) => printed.includes(d))).toEqual([]);
  });

  it('changes the file under its lock: while another command holds it, rotate refuses and names the lock', () => {
    const file = newFile();
    run(file, 'create');
    const before = readFileSync(file, 'utf8');
    writeFileSync(`${file}.lock`, '');
    try {
      expect(() => run(file, 'rotate')).toThrow(`is being changed by another command (${file}.lock exists`);
    } finally {
      rmSync(`${file}.lock`);
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses what it does not know, and --at but with retire', () => {
    const file = newFile();
    expect(() => run(file, 'sign')).toThrow('Unknown signing command "sign"');
    expect(() => run(file)).toThrow('Expected a signing command');
    expect(() => run(file, 'create', '--at', at(ROTATION_LEAD_MS))).toThrow('Expected --at only with retire');
    expect(() => run(file, 'list', 'extra')).toThrow('Expected nothing after list');
  });
});

describe('npm run keys -- signing (the real CLI)', () => {
  it('manages SIGNING_KEY_FILE as the service reads it, prints usage with exit code 2 on a mistake, and leaves API key commands as they were', async () => {
    const file = newFile();
    const keys = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      try {
        const { stdout, stderr } = await promisify(execFile)('npm', ['run', '--silent', 'keys', '--', ...args], {
          cwd: ROOT,
          env: { ...process.env, SIGNING_KEY_FILE: file, API_KEYS_FILE: join(file, '..', 'api-keys.json') },
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      }
    };
    const created = await keys('signing', 'create');
    expect(created.code).toBe(0);
    const kid = created.stdout.trimEnd().split('\n').at(-1)!;
    expect(stored(file).map((key) => key.kid)).toEqual([kid]);
    const listed = await keys('signing', 'list');
    expect(listed.stdout).toMatch(new RegExp(`^${kid}\\tnotBefore=\\S+\\tretiredAt=never\\tprivate\\n$`));
    const past = await keys('signing', 'retire', kid, '--at', '2001-01-01T00:00:00Z');
    expect(past.code).toBe(2);
    expect(past.stderr).toContain('a retirement in the past would void records that every reader has already judged valid');
    expect(past.stderr).toContain('npm run keys -- signing rotate');
    // The API key commands, on API_KEYS_FILE.
    const apiKey = await keys('create', '--name', 'operator', '--role', 'admin');
    expect(apiKey.code).toBe(0);
    expect((await keys('list')).stdout).toContain('\toperator\tadmin\t');
    // SIGNING_DISABLED names no file to manage.
    const disabled = await promisify(execFile)('npm', ['run', '--silent', 'keys', '--', 'signing', 'list'], {
      cwd: ROOT,
      env: { ...process.env, SIGNING_DISABLED: '1' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(disabled).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Expected `SIGNING_DISABLED` to be unset to manage signing keys'),
    });
  }, 60_000);
});
