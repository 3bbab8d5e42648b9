import { CertificateError } from '../core/errors.js';
import type { Logger } from '../monitoring/logger.js';
import { FollowedFile, type FileVersion, type FollowedFileEvents } from '../files/followed-file.js';
import { PrivateFileError } from '../files/private-file.js';
import { newStoredKey, readSigningFile, readSigningKeysOrNone, signingKeysOf, updateSigningFile } from './key-file.js';
import { SigningKeys, type SigningKey } from './signing-keys.js';

/** SIGNING_KEY_FILE, or the state directory's development file; no file when SIGNING_DISABLED. */
export interface SigningSettings {
  readonly keyFile: string | undefined;
  /** The file is the development one: made with a first key when it does not exist. */
  readonly development: boolean;
}

/** The keys an instance signs and judges seals with, following the key file. */
export interface Signing {
  readonly keys: SigningKeys;
  /** Follows the key file until `close()`: once the instance has started, so that a failed start leaves no watch behind. */
  follow(): void;
  /** Reads the key file again now (SIGHUP). */
  reload(): void;
  close(): void;
}

/** The file's keys as the rule and the writer use them; throws when the file cannot be read or a key is not a key. */
function readSigningKeys(path: string): FileVersion<SigningKey[]> {
  const { keys, signature } = readSigningFile(path);
  return { value: signingKeysOf(keys, path), signature };
}

/**
 * The keys this instance signs and judges seals with, from the key file, followed as the API keys
 * file is (src/files/followed-file.ts: in force within KEY_RELOAD_BOUND_MS of a change), and read
 * again at once when a seal names a key not yet known; undefined when signing is disabled (the
 * instance then writes unsigned records, which a signed log refuses). A file that cannot be read
 * keeps the keys in force and logs why, never a key. A development instance makes its file with a
 * first key, as it makes its first API key.
 */
export async function startSigning(settings: SigningSettings, logger: Logger | undefined): Promise<Signing | undefined> {
  const { keyFile, development } = settings;
  if (keyFile === undefined) {
    logger?.warn(
      {},
      'signing is disabled (SIGNING_DISABLED): records are written unsigned, and anyone who can write to the topic can add certificates',
    );
    return undefined;
  }
  if (development && readSigningKeysOrNone(keyFile).length === 0) await makeDevelopmentKey(keyFile, logger);
  const file = followSigningFile(keyFile, {
    onChange: (loaded) => {
      keys.replace(loaded);
      logger?.info({ file: keyFile, keys: loaded.map(({ kid }) => kid) }, 'signing keys reloaded');
    },
    onError: (error) => logger?.error({ file: keyFile }, `Keeping the ${keys.all.length} signing keys in force: ${error.message}`),
  });
  const keys = new SigningKeys(file.value, { reread: () => file.reload() });
  return { keys, follow: () => file.watch(), reload: () => file.reload(true), close: () => file.close() };
}

/** The key file, read once; a file that cannot be read stops the start at once, naming the setting. */
function followSigningFile(keyFile: string, events: FollowedFileEvents<SigningKey[]>): FollowedFile<SigningKey[]> {
  try {
    return new FollowedFile(keyFile, readSigningKeys, events);
  } catch (error) {
    throw new CertificateError(
      'invalid_config',
      `Expected \`SIGNING_KEY_FILE\` to name a signing key file made by \`npm run keys -- signing create\`, got ${(error as Error).message}`,
    );
  }
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
