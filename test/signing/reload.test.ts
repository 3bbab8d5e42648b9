import { chmodSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runSigningCommand } from '../../src/cli/signing-command.js';
import { headText, type Head, type Seal } from '../../src/core/seal.js';
import { KEY_RELOAD_BOUND_MS } from '../../src/files/followed-file.js';
import { writePrivateFile } from '../../src/files/private-file.js';
import { readSigningFile, signingKeysOf } from '../../src/signing/key-file.js';
import { SigningKeys, UNKNOWN_KEY_REREAD_MS } from '../../src/signing/signing-keys.js';
import { startSigning, type Signing } from '../../src/signing/signing-start.js';
import { sleep, until } from '../support/load.js';
import { signingKeys } from '../support/signing.js';

function newFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'signing-reload-')), 'signing-keys.json');
}

/** Adds a key that may sign from now, as `npm run keys -- signing create` does; its id. */
function create(file: string): string {
  return runSigningCommand(['create'], file).at(-1)!;
}

function unsignedNow(): Omit<Head, 'key'> {
  return { v: 1, first: 0, count: 1, root: '0'.repeat(64), prev: '0'.repeat(64), classes: {}, at: new Date().toISOString() };
}

/** A head signed now by the newest key of the file, as a writer that has read it signs. */
function sealNow(file: string): Seal {
  return signingKeys(file).sign(unsignedNow());
}

function checked(keys: SigningKeys, seal: Seal): string {
  return keys.check(seal.head, headText(seal.head), seal.signature);
}

/** An instance's signing keys on `file`, with what it logs. */
async function started(file: string): Promise<{ signing: Signing; lines: string[] }> {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  const signing = (await startSigning({ keyFile: file, development: false }, logger))!;
  return { signing, lines };
}

describe('an instance follows its signing key file', () => {
  it('trusts, and signs with, a key added to the file within the stated bound, without a restart', async () => {
    const file = newFile();
    const first = create(file);
    const { signing } = await started(file);
    signing.follow();
    try {
      const began = Date.now();
      const second = create(file);
      await until('the added key', () => signing.keys.all.some((key) => key.kid === second), KEY_RELOAD_BOUND_MS);
      console.log(`signing keys: an added key in force after ${Date.now() - began} ms`);
      expect(sealNow(file).head.key).toBe(second);
      expect(signing.keys.sign(unsignedNow()).head.key).toBe(second);
      expect(signing.keys.all.map((key) => key.kid)).toEqual([first, second]);
    } finally {
      signing.close();
    }
  });

  it('keeps the keys in force when the file turns bad, logging why and never a key, and takes the file again once it is good', async () => {
    const file = newFile();
    const kid = create(file);
    const privateHalf = readSigningFile(file).keys[0]!.d!;
    const { signing, lines } = await started(file);
    signing.follow();
    const seal = sealNow(file);
    const errors = (): string[] =>
      lines.filter((line) => line.includes('"level":50')).map((line) => (JSON.parse(line) as { msg: string }).msg);
    try {
      writePrivateFile(file, '{"version":1,"keys":[{"kid":');
      await until('the error', () => errors().length === 1, KEY_RELOAD_BOUND_MS);
      expect(signing.keys.all.map((key) => key.kid)).toEqual([kid]);
      expect(checked(signing.keys, seal)).toBe('ok');
      // A good file, but one others may read: refused as well, saying why.
      const good = newFile();
      const other = create(good);
      const readable = `${file}.readable`;
      writeFileSync(readable, readFileSync(good, 'utf8'), { mode: 0o644 });
      renameSync(readable, file);
      await until('the second error', () => errors().length === 2, KEY_RELOAD_BOUND_MS);
      expect(signing.keys.all.map((key) => key.kid)).toEqual([kid]);
      chmodSync(file, 0o600);
      await until('the good file', () => signing.keys.all.some((key) => key.kid === other), KEY_RELOAD_BOUND_MS);
      expect(signing.keys.all.map((key) => key.kid)).toEqual([other]);
      expect(errors()).toEqual([
        expect.stringMatching(/^Keeping the 1 signing keys in force: .*signing-keys\.json: expected JSON/),
        expect.stringMatching(/^Keeping the 1 signing keys in force: .*only its owner may read or write \(chmod 600\), got mode 644$/),
      ]);
      expect(lines.filter((line) => line.includes(privateHalf) || line.includes('"d"'))).toEqual([]);
    } finally {
      signing.close();
    }
  });

  it('reads the file again when a seal names a key it does not hold yet, before judging it, at most once a second', async () => {
    const file = newFile();
    create(file);
    // Not following the file: only the reread can bring the new keys in.
    const { signing } = await started(file);
    try {
      create(file);
      expect(checked(signing.keys, sealNow(file))).toBe('ok');
      create(file);
      const third = sealNow(file);
      expect(checked(signing.keys, third)).toBe('untrusted_key');
      await sleep(UNKNOWN_KEY_REREAD_MS);
      expect(checked(signing.keys, third)).toBe('ok');
    } finally {
      signing.close();
    }
  });
});

describe('SigningKeys meeting unknown key ids', () => {
  it('asks for the file again at most once per UNKNOWN_KEY_REREAD_MS, however many seals name unknown keys', () => {
    const file = newFile();
    create(file);
    let now = 0;
    let rereads = 0;
    const keys = new SigningKeys(signingKeysOf(readSigningFile(file).keys, file), { reread: () => rereads++, now: () => now });
    const strangers = newFile();
    create(strangers);
    const stranger = sealNow(strangers);
    expect(checked(keys, stranger)).toBe('untrusted_key');
    for (let seal = 0; seal < 100; seal++) checked(keys, { ...stranger, head: { ...stranger.head, key: `sk-made-up-${seal}` } });
    expect(rereads).toBe(1);
    now = UNKNOWN_KEY_REREAD_MS;
    expect(checked(keys, stranger)).toBe('untrusted_key');
    expect(rereads).toBe(2);
    // A known key never costs a read.
    expect(checked(keys, sealNow(file))).toBe('ok');
    expect(rereads).toBe(2);
  });
});
