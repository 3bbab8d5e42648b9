import { randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The name of the key this instance makes in its state directory when none is given (STATE_KEY_FILE). */
export const GENERATED_KEY_FILE = 'state.key';

/** The least key a snapshot's MAC is keyed with: HMAC-SHA256's own block of strength. */
export const MIN_STATE_KEY_BYTES = 32;

/** The state directory, made when missing, readable by this service's user alone. */
export async function stateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * The key that authenticates this instance's snapshots: the one given (STATE_KEY_FILE), or the one
 * in the state directory, made there at the first start (mode 0600). Made once for every instance
 * sharing the directory: written aside, then linked into place, which fails when another instance
 * linked its own first, whose key is then the one read.
 *
 * A key beside the snapshots does not stop someone who can read the directory from forging one; it
 * still refuses a snapshot altered by hand or by a tool, one copied in from another instance's
 * directory or a backup of another deployment, and one written by anyone who may write the files
 * but not read the key. STATE_KEY_FILE, a secret mounted from elsewhere, stops the rest.
 */
export async function stateKey(dir: string, given: string | undefined): Promise<Buffer> {
  if (given !== undefined) return Buffer.from(given);
  await stateDirectory(dir);
  const path = join(dir, GENERATED_KEY_FILE);
  const aside = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(aside, `${randomBytes(MIN_STATE_KEY_BYTES).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    await link(aside, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(aside, { force: true });
  }
  const key = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  if (Buffer.byteLength(key) < MIN_STATE_KEY_BYTES) {
    throw new Error(`Expected the state key ${path} to hold at least ${MIN_STATE_KEY_BYTES} bytes, got ${Buffer.byteLength(key)}`);
  }
  return Buffer.from(key);
}
