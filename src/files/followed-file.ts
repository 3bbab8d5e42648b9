import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileSignature } from './private-file.js';

/**
 * How often the file's stat is compared, whatever the watch says: a watch can miss a change (a
 * bind mount, a network file system, an editor's rename), a poll cannot. A change is in effect
 * within this interval plus one read, well inside KEY_RELOAD_BOUND_MS.
 */
export const KEY_POLL_MS = 1000;

/** The stated bound: a change to a followed key file (API keys, signing keys) is in force on every instance within this long. */
export const KEY_RELOAD_BOUND_MS = 2 * KEY_POLL_MS;

/** One version of the file as read: what it holds, and its stat signature (src/files/private-file.ts). */
export interface FileVersion<T> {
  readonly value: T;
  readonly signature: string;
}

export interface FollowedFileEvents<T> {
  /** A changed file was read: what it now holds. */
  readonly onChange?: (value: T) => void;
  /** A changed file could not be read or parsed: the previous value stays. Called once per version of the file. */
  readonly onError?: (error: Error) => void;
}

/**
 * A file every instance reads at start and again whenever it changes (a watch on its directory, a
 * stat poll every KEY_POLL_MS, and `reload()` for SIGHUP): the API keys file and the signing key
 * file. A file that cannot be read or parsed does not replace what is in force: an edit gone wrong
 * must neither hand the service a key it did not hold nor take away every key it had.
 */
export class FollowedFile<T> {
  private current: T;
  private signature: string;
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;

  /** Reads the file once; throws if it cannot be read (the service then refuses to start). */
  constructor(
    readonly path: string,
    private readonly read: (path: string) => FileVersion<T>,
    private readonly events: FollowedFileEvents<T> = {},
  ) {
    const { value, signature } = read(path);
    this.current = value;
    this.signature = signature;
  }

  get value(): T {
    return this.current;
  }

  /** Reads the file again if it changed (or always, when forced); keeps the value in force if it cannot. */
  reload(force = false): void {
    try {
      if (!force && fileSignature(statSync(this.path)) === this.signature) return;
      const { value, signature } = this.read(this.path);
      this.current = value;
      this.signature = signature;
      this.events.onChange?.(value);
    } catch (error) {
      // Reported once per version of the file, not once per poll.
      const signature = `error:${(error as Error).message}`;
      if (signature === this.signature) return;
      this.signature = signature;
      this.events.onError?.(error as Error);
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
