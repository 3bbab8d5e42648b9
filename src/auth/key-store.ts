import { storedKey, type StoredKey } from './api-keys.js';
import { FollowedFile } from '../files/followed-file.js';
import { readKeyFile } from './key-file.js';

export { KEY_RELOAD_BOUND_MS } from '../files/followed-file.js';

export interface KeyStoreEvents {
  /** A changed file was read: how many keys it now holds. */
  readonly onReload?: (keys: number) => void;
  /** A changed file could not be read: the previous keys stay in force. The message names the file, never a key. */
  readonly onError?: (message: string) => void;
}

/**
 * The keys every request is checked against, read from the keys file at start and again whenever
 * it changes (src/files/followed-file.ts). A file that cannot be read or parsed does not replace
 * the keys in force: an edit gone wrong must not open the service to a key it did not hold, nor
 * lock every caller out; it is logged instead.
 */
export class ApiKeyStore {
  private readonly file: FollowedFile<ReadonlyMap<string, StoredKey>>;

  /** Reads the file once; throws if it cannot be read (the service then refuses to start). */
  constructor(
    readonly path: string,
    events: KeyStoreEvents = {},
  ) {
    this.file = new FollowedFile<ReadonlyMap<string, StoredKey>>(
      path,
      (file) => {
        const { keys, signature } = readKeyFile(file);
        return { value: new Map(keys.map((record) => [record.id, storedKey(record)])), signature };
      },
      {
        onChange: (keys) => events.onReload?.(keys.size),
        onError: (error) => events.onError?.(`Keeping the ${this.size} API keys in force: ${error.message}`),
      },
    );
  }

  find(keyId: string): StoredKey | undefined {
    return this.file.value.get(keyId);
  }

  get size(): number {
    return this.file.value.size;
  }

  /** Reads the file again if it changed (or always, when forced); keeps the keys in force if it cannot. */
  reload(force = false): void {
    this.file.reload(force);
  }

  /** Follows the file until `close()`. */
  watch(): this {
    this.file.watch();
    return this;
  }

  close(): void {
    this.file.close();
  }
}
