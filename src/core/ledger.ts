import type { CertificateRecord } from './certificate.js';
import type { LoggedRecord } from './logged-record.js';
import type { EventRecord } from './events.js';

/** How much one write may carry: whole records up to `maxWeight`, each weighing what `weigh` says. */
export interface WriteLimit<T> {
  readonly maxWeight: number;
  weigh(item: T): number;
}

/** A record as the log stores it: its key (the class code, or `seal`) and its text. */
export interface EncodedRecord {
  readonly key: string;
  readonly value: string;
}

export interface LogBounds {
  /** First offset still in the log. */
  readonly low: number;
  /** Offset the next record will get (the high watermark). */
  readonly high: number;
}

export interface LogFollower {
  /** Stops following; no delivery happens after it resolves. */
  stop(): Promise<void>;
}

/**
 * The port through which the sequencing core reaches the durable log; `src/log` implements it over
 * Kafka, and unit tests of pure sequencing logic use an in-memory fake.
 */
export interface Ledger {
  /** How much one write may carry: the log refuses a write above its size limit. */
  readonly writeLimit: WriteLimit<CertificateRecord | EventRecord>;
  /**
   * Durably appends the records (encoded: src/core/record-format.ts, src/core/seal.ts), in order, as
   * one atomic write, and resolves with the offset the first one landed at. Rejects if it cannot say
   * (the write may or may not have landed, now or later).
   */
  append(records: readonly EncodedRecord[]): Promise<number>;
  bounds(): Promise<LogBounds>;
  /** Delivers the records in [from, to), oldest first, in chunks, until `onRecords` returns false. */
  read(from: number, to: number, onRecords: (records: LoggedRecord[]) => unknown): Promise<void>;
  /**
   * Delivers every record from `from` on as it arrives, until stopped, with the log's end as of then
   * (how far behind the follower is). A failure ends the follow through `onError`.
   */
  follow(from: number, onRecords: (records: LoggedRecord[], highWatermark: number) => void, onError: (error: unknown) => void): LogFollower;
}
