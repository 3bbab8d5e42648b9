import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';

/** Reads a regular file of at most `maxBytes` (a key set, a saved head); throws naming the path when it is not one. */
export function readSmallFile(path: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new Error(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    // The checks and the read on one open file: what was checked is what is read.
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > maxBytes) throw new Error(`${path}: expected a file of at most ${maxBytes} bytes`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
