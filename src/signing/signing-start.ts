import type { Logger } from '../monitoring/logger.js';
import { PrivateFileError } from '../files/private-file.js';
import { newStoredKey, readSigningFile, readSigningKeysOrNone, signingKeysOf, updateSigningFile } from './key-file.js';
import { SigningKeys } from './signing-keys.js';

/** SIGNING_KEY_FILE, or the state directory's development file; no file when SIGNING_DISABLED. */
export interface SigningSettings {
  readonly keyFile: string | undefined;
  /** The file is the development one: made with a first key when it does not exist. */
  readonly development: boolean;
}

/**
 * The keys this instance signs and judges seals with, from the key file; undefined when signing is
 * disabled (the instance then writes unsigned records, which a signed log refuses). A development
 * instance makes its file with a first key, as it makes its first API key.
 */
export async function startSigning(settings: SigningSettings, logger: Logger | undefined): Promise<SigningKeys | undefined> {
  const { keyFile, development } = settings;
  if (keyFile === undefined) {
    logger?.warn(
      {},
      'signing is disabled (SIGNING_DISABLED): records are written unsigned, and anyone who can write to the topic can add certificates',
    );
    return undefined;
  }
  if (development && readSigningKeysOrNone(keyFile).length === 0) await makeDevelopmentKey(keyFile, logger);
  return new SigningKeys(signingKeysOf(readSigningFile(keyFile).keys, keyFile));
}

/** The development file's first key; when instances start together, one makes it and the others wait for it. */
async function makeDevelopmentKey(keyFile: string, logger: Logger | undefined): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      updateSigningFile(keyFile, (keys) => (keys.length > 0 ? keys : [newStoredKey(new Date())]));
      logger?.info({ file: keyFile }, 'made a development signing key (npm run keys -- signing list)');
      return;
    } catch (error) {
      // Another instance holds the lock: it is making the key.
      if (attempt === 20 || readSigningKeysOrNone(keyFile).length > 0) return;
      if (!(error instanceof PrivateFileError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
