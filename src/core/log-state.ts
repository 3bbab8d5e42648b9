import type { Certificate, CertificateRecord, LoggedRecord } from './certificate.js';
import { CertificateIndex, type IndexColumns } from './certificate-index.js';
import { scopedKey } from './provenance.js';
import { RememberedKeys, type KeyedCertificate, type KeyWindow } from './remembered-keys.js';
import type { ShareClassConfig } from './share-class.js';
import { GENESIS, TRUSTS_NO_KEY, type ClassCount, type Head, type Proof, type SealVerifier, type SignedHead } from './seal.js';
import { ValidityRule, type ClassTail, type RuleProgress, type VoidReason } from './validity.js';

/** A certificate the log now holds, with its proof when its write was signed. */
export interface Applied {
  readonly record: CertificateRecord;
  readonly proof?: Proof;
}

export interface LogStateObserver {
  /** A record the rule found void (at start, in the tail, or after a write that landed elsewhere). */
  voidRecord(reason: VoidReason, offset: number, message: string): void;
}

/**
 * Everything a LogState derived from the log up to `end`, with what it was derived under: a restart
 * that finds one (src/state/) reads only the records after it. `anchor` is the newest record applied,
 * so the snapshot can be checked against the topic before it is trusted.
 */
export interface StateSnapshot {
  readonly classes: ReadonlyArray<{ readonly code: string; readonly authorized: number }>;
  readonly keyWindow: KeyWindow;
  readonly end: number;
  readonly voids: number;
  readonly progress: RuleProgress;
  readonly anchor: { readonly offset: number; readonly fingerprint: string } | undefined;
  readonly indexes: ReadonlyArray<{ readonly code: string; readonly columns: IndexColumns }>;
  readonly keys: ReadonlyArray<readonly [string, KeyedCertificate]>;
}

/** A record as read, as one text: equal for the same record however it reached the state (read, or written here). */
export function fingerprint(entry: LoggedRecord): string {
  const { offset, record, seal, malformed } = entry;
  if (seal !== undefined) return JSON.stringify([offset, seal.head.root, seal.signature]);
  if (record === undefined) return JSON.stringify([offset, malformed]);
  const { id, class: shareClass, number, name, amount, issuedAt, sharesIssued, request, idempotencyKey, principal, requestId } = record;
  return JSON.stringify([
    offset,
    id,
    shareClass,
    number,
    name,
    amount,
    issuedAt,
    sharesIssued,
    record.offset,
    request,
    idempotencyKey,
    principal,
    requestId,
    record.seal,
  ]);
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
  private readonly indexes: Map<string, CertificateIndex>;
  private readonly classes: ReadonlyArray<{ readonly code: string; readonly authorized: number }>;
  private readonly keyWindow: KeyWindow;
  /** The newest record applied: a snapshot's anchor (fingerprinted only when a snapshot is taken). */
  private newest: LoggedRecord | undefined;
  /** The anchor of the snapshot this state was restored from, until a record is applied. */
  private restoredAnchor: StateSnapshot['anchor'];
  private readonly keys: RememberedKeys;
  private voids = 0;
  /** True once the log has been read from its start (to its end then). */
  loaded = false;

  constructor(
    shareClasses: readonly ShareClassConfig[],
    keyWindow: KeyWindow,
    private readonly observer?: LogStateObserver,
    verifier: SealVerifier = TRUSTS_NO_KEY,
  ) {
    this.rule = new ValidityRule(shareClasses, verifier);
    this.indexes = new Map(shareClasses.map(({ code }) => [code, new CertificateIndex(code)]));
    this.keys = new RememberedKeys(keyWindow);
    this.classes = shareClasses.map(({ code, authorized }) => ({ code, authorized }));
    this.keyWindow = keyWindow;
  }

  get end(): number {
    return this.position;
  }

  /** Void records seen since start. */
  get voidRecords(): number {
    return this.voids;
  }

  /** The newest valid seal: the signed head of the log as this state holds it (undefined while unsigned). */
  get head(): SignedHead | undefined {
    return this.rule.signedHead;
  }

  index(shareClass: string): CertificateIndex | undefined {
    return this.indexes.get(shareClass);
  }

  /** Idempotency keys remembered now. */
  get rememberedKeys(): number {
    return this.keys.size;
  }

  /**
   * The certificate issued for an idempotency key in its principal's scope (scopedKey), if the key is
   * remembered at `atMs` (src/core/remembered-keys.ts).
   */
  recall(scoped: string, atMs: number): Certificate | undefined {
    const entry = this.keys.recall(scoped, atMs);
    return entry === undefined ? undefined : this.indexes.get(entry.class)!.get(entry.number);
  }

  /**
   * Judges records in log order, indexes the certificates among them and returns those, in order,
   * with their proofs. A signed write's certificates come once its seal is applied. Records below
   * `end` were applied already and are passed over: the writer's own writes and a tail or a re-read
   * may bring the same records, and the verdict on a record never changes.
   */
  apply(entries: readonly LoggedRecord[]): Applied[] {
    const certificates: Applied[] = [];
    for (const entry of entries) {
      if (entry.offset < this.position) continue;
      this.position = entry.offset + 1;
      this.newest = entry;
      for (const verdict of this.rule.judge(entry)) {
        if (verdict.kind === 'head') continue;
        if (verdict.kind === 'void') {
          this.voids += 1;
          this.observer?.voidRecord(verdict.reason, verdict.offset, verdict.message);
          continue;
        }
        const { record, proof } = verdict;
        const index = this.indexes.get(record.class)!;
        index.add(record, proof?.seal.head.first);
        if (record.idempotencyKey !== undefined) {
          this.keys.remember(scopedKey(record.principal, record.idempotencyKey), {
            class: index.shareClass,
            number: record.number,
            issuedAtMs: Date.parse(record.issuedAt),
          });
        }
        certificates.push(proof === undefined ? { record } : { record, proof });
      }
    }
    return certificates;
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
      const key = record.idempotencyKey === undefined ? undefined : scopedKey(record.principal, record.idempotencyKey);
      const answered = key !== undefined && (keys.has(key) || this.keys.recall(key, Date.parse(record.issuedAt)) !== undefined);
      if (key !== undefined) keys.add(key);
      const continues =
        tail !== undefined && !answered && record.number === tail.number + 1 && record.sharesIssued === tail.sharesIssued + record.amount;
      tails.set(record.class, continues ? { number: record.number, sharesIssued: record.sharesIssued } : undefined);
      return continues;
    });
  }

  /**
   * The head, before its key and signature, of a write of `records` (stamped in place from `end`,
   * continuing their classes, `values` their encodings) that lands next: what the rule will require
   * of its seal. Its time is `now`, or the newest head's when this clock is behind that writer's.
   * The rule remembers the write's leaves and tree (ValidityRule.rootOf): applying it hashes no record again.
   */
  headOf(records: readonly CertificateRecord[], values: readonly string[], now: Date): Omit<Head, 'key'> {
    const tails = new Map<string, ClassCount>();
    for (const [code, index] of this.indexes)
      if (index.count > 0) tails.set(code, { number: index.count, sharesIssued: index.sharesIssued });
    for (const { class: code, number, sharesIssued } of records) tails.set(code, { number, sharesIssued });
    const classes: Record<string, ClassCount> = {};
    for (const code of [...tails.keys()].sort()) classes[code] = tails.get(code)!;
    const newest = this.rule.signedHead;
    const at = now.toISOString();
    return {
      v: 1,
      first: this.position,
      count: records.length,
      root: this.rule.rootOf(records, values),
      prev: newest?.hash ?? GENESIS,
      classes,
      at: newest !== undefined && newest.head.at > at ? newest.head.at : at,
    };
  }

  /**
   * What this state holds, to be restored instead of read again: views of the index columns (what
   * they show never changes) and copies of the rest. Undefined while a signed write was read only in
   * part: its records are neither certificates nor void yet, so there is no state to keep until its seal.
   */
  snapshot(): StateSnapshot | undefined {
    if (this.rule.waiting) return undefined;
    return {
      classes: this.classes,
      keyWindow: this.keyWindow,
      end: this.position,
      voids: this.voids,
      progress: this.rule.progress,
      anchor: this.newest === undefined ? this.restoredAnchor : { offset: this.newest.offset, fingerprint: fingerprint(this.newest) },
      indexes: [...this.indexes].map(([code, index]) => ({ code, columns: index.columns() })),
      keys: this.keys.entries(),
    };
  }

  /**
   * Takes over a snapshot into this state, which must have applied nothing yet. Returns false, and
   * changes nothing, when the snapshot was derived under other classes, authorized totals or key
   * window: the same records could then have had other verdicts, so they must be read again.
   */
  restore(snapshot: StateSnapshot): boolean {
    if (this.position !== 0 || this.newest !== undefined)
      throw new Error('Expected to restore a snapshot into a state that has read nothing');
    const same =
      JSON.stringify(snapshot.classes) === JSON.stringify(this.classes) &&
      snapshot.keyWindow.windowMs === this.keyWindow.windowMs &&
      snapshot.keyWindow.maxKeys === this.keyWindow.maxKeys &&
      snapshot.indexes.every(({ code }) => this.indexes.has(code));
    if (!same) return false;
    const tails = new Map<string, ClassTail>();
    for (const { code, columns } of snapshot.indexes) {
      const index = CertificateIndex.fromColumns(code, columns);
      this.indexes.set(code, index);
      tails.set(code, { number: index.count, sharesIssued: index.sharesIssued });
    }
    this.rule.restore(tails, snapshot.progress);
    this.keys.restore(snapshot.keys);
    this.position = snapshot.end;
    this.voids = snapshot.voids;
    this.restoredAnchor = snapshot.anchor;
    return true;
  }

  /** The log was read to `offset` (its end then): offsets below it without a record never will have one. */
  readTo(offset: number): void {
    this.position = Math.max(this.position, offset);
  }
}
