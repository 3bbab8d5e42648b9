import type { LoggedRecord } from '../core/logged-record.js';
import type { Ledger, LogBounds } from '../core/ledger.js';
import { fingerprint, type LogState, type StateSnapshot } from '../core/log-state.js';
import type { SnapshotFile } from './snapshot-file.js';

export interface SnapshotObserver {
  /** At start: the state came from a snapshot up to `end` (then the log was read from there), or why not. */
  restored(outcome: { readonly end: number } | { readonly reason: string }): void;
  saved(end: number, bytes: number, ms: number): void;
  failed(error: unknown): void;
}

/** Where and how often this instance keeps snapshots of its log state (STATE_DIR, SNAPSHOT_EVERY_RECORDS, STATE_KEY_FILE). */
export interface StateSettings {
  /** Undefined: no snapshots, the whole log is read at start. */
  readonly dir: string | undefined;
  /** The key the snapshots are authenticated with; undefined: the one in `dir`, made at the first start (src/state/state-key.ts). */
  readonly key?: string | undefined;
  /** A snapshot is taken once the state has moved this many records past the last one. */
  readonly everyRecords: number;
}

export interface SnapshotOptions {
  readonly everyRecords: number;
  /** How often that is checked. */
  readonly checkEveryMs?: number;
  readonly observer?: SnapshotObserver;
}

/**
 * Keeps this instance's log state on its own disk, so a restart reads only the records written
 * since, not the whole topic. A snapshot is trusted only for the same log: the classes, authorized
 * totals and key window it was derived under must be this instance's, and the record it ends with
 * must still be in the topic at its offset, byte for byte as it was read (a topic deleted and
 * created again under the same name has other records there). Anything else, and the log is read
 * from its start as without snapshots.
 */
export class Snapshots {
  private savedEnd = 0;
  private saving: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: SnapshotFile,
    private readonly state: LogState,
    private readonly ledger: Ledger,
    private readonly options: SnapshotOptions,
  ) {}

  /** Restores the state from the snapshot when it is of this log; returns where the log must be read from. */
  async restore(bounds: LogBounds): Promise<number> {
    const loaded = await this.file.load();
    if (loaded.snapshot === undefined) return this.readAll(loaded.reason, bounds);
    const { snapshot } = loaded;
    const refused =
      (await this.check(snapshot, bounds)) ??
      (this.state.restore(snapshot) ? undefined : 'derived under other classes, authorized totals or key window');
    if (refused !== undefined) return this.readAll(refused, bounds);
    this.savedEnd = snapshot.end;
    this.options.observer?.restored({ end: snapshot.end });
    return snapshot.end;
  }

  /**
   * Starts taking snapshots as the state moves on, the first at once if start-up read records past
   * the last snapshot: the next start then reads only what comes after them.
   */
  start(): void {
    if (this.state.end > this.savedEnd) void this.save();
    this.timer = setInterval(() => {
      if (this.saving === undefined && this.state.end - this.savedEnd >= this.options.everyRecords) void this.save();
    }, this.options.checkEveryMs ?? 5000);
    this.timer.unref();
  }

  /** Takes a snapshot now unless the last one is of the same state; resolves once it is on disk. One at a time. */
  save(): Promise<void> {
    const next = (this.saving ?? Promise.resolve()).then(() => this.write());
    this.saving = next;
    return next.finally(() => {
      if (this.saving === next) this.saving = undefined;
    });
  }

  /** Stops taking snapshots, after a last one of the state as it is. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.save();
  }

  private async write(): Promise<void> {
    if (this.state.end === this.savedEnd) return;
    const started = performance.now();
    const snapshot = this.state.snapshot();
    // Half a signed write read: the next check takes it, once its seal is in.
    if (snapshot === undefined) return;
    try {
      const bytes = await this.file.save(snapshot);
      this.savedEnd = snapshot.end;
      this.options.observer?.saved(snapshot.end, bytes, performance.now() - started);
    } catch (error) {
      // The previous snapshot stays; the next attempt comes with the next check.
      this.options.observer?.failed(error);
    }
  }

  /** Undefined when the snapshot is of this topic as it is now, else why not. */
  private async check(snapshot: StateSnapshot, bounds: LogBounds): Promise<string | undefined> {
    if (snapshot.end > bounds.high) return `it ends at offset ${snapshot.end}, past the topic's end ${bounds.high}`;
    const anchor = snapshot.anchor;
    if (anchor === undefined || anchor.offset < bounds.low) return 'it holds no record still in the topic';
    let found: LoggedRecord | undefined;
    await this.ledger.read(anchor.offset, anchor.offset + 1, (records) => void (found ??= records[0]));
    if (found === undefined || fingerprint(found) !== anchor.fingerprint) {
      return `the record at offset ${anchor.offset} is not the one it was taken after: another topic of the same name`;
    }
    return undefined;
  }

  /** No snapshot to use: says why, and the log is read from its start. */
  private readAll(reason: string, bounds: LogBounds): number {
    this.options.observer?.restored({ reason });
    return bounds.low;
  }
}
