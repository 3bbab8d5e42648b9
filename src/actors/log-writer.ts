import { certificateRecord, type CertificateRecord } from './certificate.js';
import { GroupCommit } from './group-commit.js';
import type { Ledger } from './ledger.js';
import type { LogState } from './log-state.js';

export interface WriterObserver {
  /** A write did not land where it was stated (someone else wrote first, or it failed): the log was read again. */
  resynced(
    reason: 'landed_elsewhere' | 'failed',
    where: { readonly stated: number; readonly landed?: number; readonly readTo: number },
  ): void;
}

/**
 * The one place this instance writes certificates. Each write states, record by record, the offset
 * it expects to land at: the end of the log as `state` knows it. When the log answers with exactly
 * that offset the records are valid by the rule and are applied to `state` from memory: the happy
 * path costs no read. Otherwise (another writer wrote first, the write failed or timed out) it reads
 * the log from the known end and applies what is there, its own earlier write included if it
 * landed in place; the caller then sees which of its requests that settled and renumbers the rest.
 * Until such a read succeeds nothing new is stated, so every write is stated on the whole log.
 */
export class LogWriter {
  private readonly commits: GroupCommit<CertificateRecord>;
  /** False: `state.end` may be behind the log (a write did not land as stated), so read before writing. */
  private synced = false;
  private syncRequested = false;
  /** Why the newest append failed, until one lands: what to tell clients when numbering again does not help. */
  private appendFailure: unknown;

  constructor(
    private readonly ledger: Ledger,
    private readonly state: LogState,
    private readonly observer?: WriterObserver,
  ) {
    this.commits = new GroupCommit((records) => this.write(records), ledger.writeLimit);
  }

  /**
   * Writes the records (numbered, without offsets) in one append shared with whatever else is
   * waiting, and resolves once the log has decided them; valid ones have then reached `state`, and
   * the others are for their actors to number again.
   * Rejects when the log could not be read: their fate is unknown until it can.
   */
  commit(records: readonly CertificateRecord[]): Promise<void> {
    return this.commits.submit(records);
  }

  /** Resolves once `state` holds everything in the log as of now (a lookup that missed asks this). */
  sync(): Promise<void> {
    this.syncRequested = true;
    return this.commits.submit([]);
  }

  /** The error of the newest append if it failed (and none landed since), else undefined. */
  get lastAppendFailure(): unknown {
    return this.appendFailure;
  }

  /** The log position may have moved under us (this instance did not own it for a while). */
  forget(): void {
    this.synced = false;
  }

  private async write(records: CertificateRecord[]): Promise<void> {
    if (!this.synced || this.syncRequested) {
      this.syncRequested = false;
      await this.resync();
    }
    // Actors numbered on the state as it was; a read or a tail may have brought records since. Write
    // only what still continues its class, so that a write that lands in place is valid; the rest
    // goes back unwritten, and its actors number it again.
    records = this.state.continuing(records);
    if (records.length === 0) return;
    const expected = this.state.end;
    const stamped = records.map((record, index) => certificateRecord(record, expected + index, record.request, record.idempotencyKey));
    let landed: number | undefined;
    try {
      landed = await this.ledger.append(stamped);
      this.appendFailure = undefined;
      if (landed === expected) {
        this.state.apply(stamped.map((record, index) => ({ offset: expected + index, record })));
        return;
      }
    } catch (error) {
      // Whether it landed is for the log to say: read it.
      this.appendFailure = error;
    }
    this.synced = false;
    const readTo = await this.resync();
    this.observer?.resynced(landed === undefined ? 'failed' : 'landed_elsewhere', {
      stated: expected,
      ...(landed === undefined ? {} : { landed }),
      readTo,
    });
  }

  private async resync(): Promise<number> {
    const { high } = await this.ledger.bounds();
    await this.ledger.read(this.state.end, high, (entries) => this.state.apply(entries));
    this.state.readTo(high);
    this.synced = true;
    return high;
  }
}
