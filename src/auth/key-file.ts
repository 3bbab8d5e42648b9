import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseApiKeyRecord, type ApiKeyRecord } from './api-keys.js';

/**
 * The keys file (API_KEYS_FILE): `{ "version": 1, "keys": [ApiKeyRecord, …] }`. It holds hashes
 * only, yet whoever can write it can add a key: so it is written 0600, and a file that the group or
 * others may write is refused rather than trusted.
 */
export const KEY_FILE_VERSION = 1;

/** Far above any real set of keys (about 300 bytes each), and small enough to read on every change. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export class KeyFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
    readonly code?: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'KeyFileError';
  }
}

/** What identifies one version of the file on disk: a rename, a write or a chmod changes it. */
export function fileSignature(stats: { ino: number; size: number; mtimeMs: number; ctimeMs: number; mode: number }): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.mode}`;
}

export interface KeyFileContents {
  readonly keys: readonly ApiKeyRecord[];
  readonly signature: string;
}

/** Parses the file's text; throws saying what was expected, never echoing the contents. */
export function parseKeyFile(text: string, path: string): ApiKeyRecord[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new KeyFileError(path, `expected JSON (${(error as Error).message.slice(0, 100)})`);
  }
  const { version, keys } = (document ?? {}) as { version?: unknown; keys?: unknown };
  if (version !== KEY_FILE_VERSION) throw new KeyFileError(path, `expected "version": ${KEY_FILE_VERSION}, got ${JSON.stringify(version)}`);
  if (!Array.isArray(keys)) throw new KeyFileError(path, 'expected "keys" to be a list');
  const records = keys.map((key, index) => {
    try {
      return parseApiKeyRecord(key, `keys[${index}]`);
    } catch (error) {
      throw new KeyFileError(path, (error as Error).message);
    }
  });
  const ids = new Set<string>();
  for (const { id } of records) {
    if (ids.has(id)) throw new KeyFileError(path, `expected each key id once, got ${id} twice`);
    ids.add(id);
  }
  return records;
}

/** Reads and checks the file; throws a KeyFileError (code ENOENT when it does not exist). */
export function readKeyFile(path: string): KeyFileContents {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KeyFileError(path, `cannot be read (${code ?? String(error)})`, code);
  }
  try {
    // The checks and the read on one open file: what was checked is what is read.
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new KeyFileError(path, 'expected a regular file');
    if ((stats.mode & 0o022) !== 0)
      throw new KeyFileError(path, `expected a file only its owner may write (chmod 600), got mode ${(stats.mode & 0o777).toString(8)}`);
    if (stats.size > MAX_FILE_BYTES) throw new KeyFileError(path, `expected at most ${MAX_FILE_BYTES} bytes, got ${stats.size}`);
    return { keys: parseKeyFile(readFileSync(fd, 'utf8'), path), signature: fileSignature(stats) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the file at once: a temporary file beside it, 0600 from its creation, synced, then
 * renamed over it. A reader sees the old file or the new one, never half of one.
 */
export function writeKeyFile(path: string, keys: readonly ApiKeyRecord[]): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify({ version: KEY_FILE_VERSION, keys }, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** The keys in the file, or none when it does not exist yet (the CLI's first `create`). */
export function readKeysOrNone(path: string): readonly ApiKeyRecord[] {
  try {
    return readKeyFile(path).keys;
  } catch (error) {
    if (error instanceof KeyFileError && error.code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Changes the file under a lock (`<file>.lock`, created exclusively): two operators running `npm
 * run keys` at once must not each write their change over the other's.
 */
export function updateKeyFile(path: string, change: (keys: readonly ApiKeyRecord[]) => readonly ApiKeyRecord[]): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const lock = `${path}.lock`;
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new KeyFileError(path, `is being changed by another command (${lock} exists; remove it if none runs)`);
  }
  try {
    writeKeyFile(path, change(readKeysOrNone(path)));
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}
