import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newStoredKey, readSigningFile, signingKeysOf, writeSigningFile, type StoredKey } from '../../src/signing/key-file.js';
import { SigningKeys } from '../../src/signing/signing-keys.js';

/**
 * The signing key every test and bench instance signs with: made once per process in a key file of
 * its own (SIGNING_KEY_FILE for service processes), so that readers in the test judge seals as the
 * service does.
 */
function signingFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'signing-keys-')), 'signing-keys.json');
  writeSigningFile(file, [newStoredKey(new Date(Date.now() - 60_000))]);
  return file;
}

export const SIGNING_FILE = signingFile();

/** The keys in a signing key file (the test's own by default), as an instance loads them. */
export function signingKeys(file = SIGNING_FILE): SigningKeys {
  return new SigningKeys(signingKeysOf(readSigningFile(file).keys, file));
}

/** Keys held in memory, trusted as given: a forger's own, or a key as another reader trusts it (retired, not yet valid). */
export function keysOf(...stored: readonly StoredKey[]): SigningKeys {
  return new SigningKeys(signingKeysOf(stored, 'keys made in memory'));
}
