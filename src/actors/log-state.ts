import type { Certificate, CertificateRecord, LoggedRecord } from './certificate.js';
import { CertificateIndex } from './certificate-index.js';
import { DEFAULT_KEY_WINDOW, RememberedKeys, type KeyWindow } from './remembered-keys.js';
import type { ShareClassConfig } from './share-class-actor.js';
import { ValidityRule, type ClassTail, type VoidReason } from './validity.js';

export interface LogStateObserver {
  /** A record the rule found void (at start, in the tail, or after a write that landed elsewhere). */
  voidRecord(reason: VoidReason, offset: number, message: string): void;
}

/**
 * The certificates as the log decides them, up to `end`: every instance keeps one, filled by
 * reading the topic at start and then by whoever owns the log position (the writer with its own
 * writes, a follower with its tail). Deterministic: the same records in the same order give the
 * same state on every instance.
 */
export class LogState {
  /** The offset after the last record applied: where the next record lands if nobody else writes. */
  private position = 0;
  private readonly rule: ValidityRule;
  private readonly indexes: ReadonlyMap<string, CertificateIndex>;
  private readonly listeners = new Map<string, (record: CertificateRecord) => void>();
  private readonly keys: RememberedKeys;
  private voids = 0;
  /** True once the log has been read from its start (to its end then). */
  loaded = false;

  constructor(
    shareClasses: readonly ShareClassConfig[],
    private readonly observer?: LogStateObserver,
    keyWindow: KeyWindow = DEFAULT_KEY_WINDOW,
  ) {
    this.rule = new ValidityRule(new Map(shareClasses.map(({ code, authorized }) => [code, authorized])));
    this.indexes = new Map(shareClasses.map(({ code }) => [code, new CertificateIndex(code)]));
    this.keys = new RememberedKeys(keyWindow);
  }

  get end(): number {
    return this.position;
  }

  /** Void records seen since start. */
  get voidRecords(): number {
    return this.voids;
  }

  index(shareClass: string): CertificateIndex | undefined {
    return this.indexes.get(shareClass);
  }

  /** Idempotency keys remembered now. */
  get rememberedKeys(): number {
    return this.keys.size;
  }

  /** The certificate issued for an idempotency key, if the key is remembered at `atMs` (src/actors/remembered-keys.ts). */
  recall(key: string, atMs: number): Certificate | undefined {
    const entry = this.keys.recall(key, atMs);
    return entry === undefined ? undefined : this.indexes.get(entry.class)!.get(entry.number);
  }

  /** Who hears of each new certificate of the class (its actor, to answer the request it settles). */
  onCertificate(shareClass: string, listener: (record: CertificateRecord) => void): void {
    this.listeners.set(shareClass, listener);
  }

  /**
   * Judges records in log order and indexes the certificates among them. Records below `end` were
   * applied already and are passed over: the writer's own writes and a tail or a re-read may bring
   * the same records, and the verdict on a record never changes.
   */
  apply(entries: readonly LoggedRecord[]): void {
    for (const entry of entries) {
      if (entry.offset < this.position) continue;
      this.position = entry.offset + 1;
      const verdict = this.rule.judge(entry);
      if (!verdict.valid) {
        this.voids += 1;
        this.observer?.voidRecord(verdict.reason, entry.offset, verdict.message);
        continue;
      }
      const { record } = verdict;
      const index = this.indexes.get(record.class)!;
      index.add(record);
      if (record.idempotencyKey !== undefined) {
        this.keys.remember(record.idempotencyKey, {
          class: index.shareClass,
          number: record.number,
          issuedAtMs: Date.parse(record.issuedAt),
        });
      }
      this.listeners.get(record.class)?.(record);
    }
  }

  /**
   * The records, in order, that would continue their classes if they landed in place next, per class
   * the longest such prefix, and that carry no idempotency key the log already answered: what a
   * correct writer may write.
   */
  continuing(records: readonly CertificateRecord[]): CertificateRecord[] {
    const tails = new Map<string, ClassTail | undefined>();
    const keys = new Set<string>();
    return records.filter((record) => {
      const tail = tails.has(record.class) ? tails.get(record.class) : this.rule.tail(record.class);
      const key = record.idempotencyKey;
      const answered = key !== undefined && (keys.has(key) || this.keys.recall(key, Date.parse(record.issuedAt)) !== undefined);
      if (key !== undefined) keys.add(key);
      const continues =
        tail !== undefined && !answered && record.number === tail.number + 1 && record.sharesIssued === tail.sharesIssued + record.amount;
      tails.set(record.class, continues ? { number: record.number, sharesIssued: record.sharesIssued } : undefined);
      return continues;
    });
  }

  /** The log was read to `offset` (its end then): offsets below it without a record never will have one. */
  readTo(offset: number): void {
    this.position = Math.max(this.position, offset);
  }
}
