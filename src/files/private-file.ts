import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Files that hold keys (API key hashes, signing keys): whoever can write one can add a key, so they
 * are written 0600 and a file the group or others may write is refused rather than trusted. Written
 * whole beside the old one and renamed over it, changed under a lock.
 */
export class PrivateFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
    readonly code?: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'PrivateFileError';
  }
}

/** What identifies one version of the file on disk: a rename, a write or a chmod changes it. */
export function fileSignature(stats: { ino: number; size: number; mtimeMs: number; ctimeMs: number; mode: number }): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.mode}`;
}

export interface PrivateFileOptions {
  readonly maxBytes: number;
  /** Also refuse a file the group or others may read (a private key), not only write. */
  readonly ownerReadOnly?: boolean;
}

/** Reads and checks the file; throws a PrivateFileError (code ENOENT when it does not exist). */
export function readPrivateFile(path: string, options: PrivateFileOptions): { readonly text: string; readonly signature: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PrivateFileError(path, `cannot be read (${code ?? String(error)})`, code);
  }
  try {
    // The checks and the read on one open file: what was checked is what is read.
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new PrivateFileError(path, 'expected a regular file');
    const forbidden = options.ownerReadOnly === true ? 0o077 : 0o022;
    if ((stats.mode & forbidden) !== 0) {
      const who = options.ownerReadOnly === true ? 'only its owner may read or write' : 'only its owner may write';
      throw new PrivateFileError(path, `expected a file ${who} (chmod 600), got mode ${(stats.mode & 0o777).toString(8)}`);
    }
    if (stats.size > options.maxBytes) throw new PrivateFileError(path, `expected at most ${options.maxBytes} bytes, got ${stats.size}`);
    return { text: readFileSync(fd, 'utf8'), signature: fileSignature(stats) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the file at once: a temporary file beside it, 0600 from its creation, synced, then
 * renamed over it. A reader sees the old file or the new one, never half of one.
 */
export function writePrivateFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, text);
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

/**
 * Runs `change` under a lock (`<file>.lock`, created exclusively): two operators changing the file
 * at once must not each write their change over the other's.
 */
export function underLock<T>(path: string, change: () => T): T {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const lock = `${path}.lock`;
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new PrivateFileError(path, `is being changed by another command (${lock} exists; remove it if none runs)`);
  }
  try {
    return change();
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

/** A private file of keys: `{ "version": N, "keys": [...] }`, read, written and changed as one. */
export interface KeyListFile<T> {
  /** Reads and checks the file; throws a PrivateFileError (code ENOENT when it does not exist). */
  read(path: string): { readonly keys: T[]; readonly signature: string };
  write(path: string, keys: readonly T[]): void;
  /** The keys in the file, or none when it does not exist yet (the first `create`). */
  readOrNone(path: string): readonly T[];
  /** Changes the file under its lock. */
  update(path: string, change: (keys: readonly T[]) => readonly T[]): void;
}

export function keyListFile<T>(version: number, parse: (text: string, path: string) => T[], options: PrivateFileOptions): KeyListFile<T> {
  const file: KeyListFile<T> = {
    read(path) {
      const { text, signature } = readPrivateFile(path, options);
      return { keys: parse(text, path), signature };
    },
    write(path, keys) {
      writePrivateFile(path, `${JSON.stringify({ version, keys }, null, 2)}\n`);
    },
    readOrNone(path) {
      try {
        return file.read(path).keys;
      } catch (error) {
        if (error instanceof PrivateFileError && error.code === 'ENOENT') return [];
        throw error;
      }
    },
    update(path, change) {
      underLock(path, () => file.write(path, change(file.readOrNone(path))));
    },
  };
  return file;
}
