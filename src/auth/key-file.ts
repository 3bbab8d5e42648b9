import { keyListFile, PrivateFileError } from '../files/private-file.js';
import { parseApiKeyRecord, type ApiKeyRecord } from './api-keys.js';

/**
 * The keys file (API_KEYS_FILE): `{ "version": 1, "keys": [ApiKeyRecord, …] }`. It holds hashes
 * only, yet whoever can write it can add a key: it is a private file (src/files/private-file.ts).
 */
export const KEY_FILE_VERSION = 1;

/** Far above any real set of keys (about 300 bytes each), and small enough to read on every change. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

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
    throw new PrivateFileError(path, `expected JSON (${(error as Error).message.slice(0, 100)})`);
  }
  const { version, keys } = (document ?? {}) as { version?: unknown; keys?: unknown };
  if (version !== KEY_FILE_VERSION)
    throw new PrivateFileError(path, `expected "version": ${KEY_FILE_VERSION}, got ${JSON.stringify(version)}`);
  if (!Array.isArray(keys)) throw new PrivateFileError(path, 'expected "keys" to be a list');
  const records = keys.map((key, index) => {
    try {
      return parseApiKeyRecord(key, `keys[${index}]`);
    } catch (error) {
      throw new PrivateFileError(path, (error as Error).message);
    }
  });
  const ids = new Set<string>();
  for (const { id } of records) {
    if (ids.has(id)) throw new PrivateFileError(path, `expected each key id once, got ${id} twice`);
    ids.add(id);
  }
  return records;
}

const file = keyListFile(KEY_FILE_VERSION, parseKeyFile, { maxBytes: MAX_FILE_BYTES });

/** Reads and checks the file; throws a PrivateFileError (code ENOENT when it does not exist). */
export const readKeyFile: (path: string) => KeyFileContents = file.read;
export const writeKeyFile = file.write;
/** The keys in the file, or none when it does not exist yet (the CLI's first `create`). */
export const readKeysOrNone = file.readOrNone;
/** Changes the file under its lock (src/files/private-file.ts). */
export const updateKeyFile = file.update;
