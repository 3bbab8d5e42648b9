import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { storedKey, type StoredKey } from './api-keys.js';
import { fileSignature } from '../files/private-file.js';
import { readKeyFile } from './key-file.js';

/**
 * How often the file's stat is compared, whatever the watch says: a watch can miss a change (a
 * bind mount, a network file system, an editor's rename), a poll cannot. A change is in effect
 * within this interval plus one read, well inside KEY_RELOAD_BOUND_MS.
 */
export const KEY_POLL_MS = 1000;

/** The stated bound: a key added or revoked is in force on every instance within this long. */
export const KEY_RELOAD_BOUND_MS = 2 * KEY_POLL_MS;

export interface KeyStoreEvents {
  /** A changed file was read: how many keys it now holds. */
  readonly onReload?: (keys: number) => void;
  /** A changed file could not be read: the previous keys stay in force. The message names the file, never a key. */
  readonly onError?: (message: string) => void;
}

/**
 * The keys every request is checked against, read from the keys file at start and again whenever
 * it changes (a watch on its directory, a stat poll every KEY_POLL_MS, and `reload()` for SIGHUP).
 * A file that cannot be read or parsed does not replace the keys in force: an edit gone wrong must
 * not open the service to a key it did not hold, nor lock every caller out; it is logged instead.
 */
export class ApiKeyStore {
  private keys: ReadonlyMap<string, StoredKey>;
  private signature: string;
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;

  /** Reads the file once; throws if it cannot be read (the service then refuses to start). */
  constructor(
    readonly path: string,
    private readonly events: KeyStoreEvents = {},
  ) {
    const { keys, signature } = readKeyFile(path);
    this.keys = new Map(keys.map((record) => [record.id, storedKey(record)]));
    this.signature = signature;
  }

  find(keyId: string): StoredKey | undefined {
    return this.keys.get(keyId);
  }

  get size(): number {
    return this.keys.size;
  }

  /** Reads the file again if it changed (or always, when forced); keeps the keys in force if it cannot. */
  reload(force = false): void {
    try {
      if (!force && fileSignature(statSync(this.path)) === this.signature) return;
      const { keys, signature } = readKeyFile(this.path);
      this.keys = new Map(keys.map((record) => [record.id, storedKey(record)]));
      this.signature = signature;
      this.events.onReload?.(keys.length);
    } catch (error) {
      // Logged once per version of the file, not once per poll.
      const signature = `error:${(error as Error).message}`;
      if (signature === this.signature) return;
      this.signature = signature;
      this.events.onError?.(`Keeping the ${this.keys.size} API keys in force: ${(error as Error).message}`);
    }
  }

  /** Follows the file until `close()`. */
  watch(): this {
    const name = basename(this.path);
    // The directory, not the file: a rename over the file (how it is written) replaces its inode.
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) this.reload();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // No watch on this file system: the poll alone keeps the bound.
    }
    this.poll = setInterval(() => this.reload(), KEY_POLL_MS).unref();
    return this;
  }

  close(): void {
    this.watcher?.close();
    clearInterval(this.poll);
  }
}
