import { parseCertificateId, type Certificate, type CertificateRecord } from './certificate.js';
import type { LoggedRecord } from './logged-record.js';
import { CertificateIndex, type IndexColumns } from './certificate-index.js';
import { scopedKey } from './provenance.js';
import { RememberedKeys, type KeyedCertificate, type KeyWindow } from './remembered-keys.js';
import type { ShareClassConfig } from './share-class.js';
import { GENESIS, TRUSTS_NO_KEY, type ClassCount, type Head, type Proof, type SealVerifier, type SignedHead } from './seal.js';
import { ValidityRule, type ClassTail, type Closure, type RuleProgress, type VoidReason } from './validity.js';
import type { EventRecord, LegendTemplate, LoggedEvent } from './events.js';
import { encodeEvent } from './record-format.js';

/** A certificate or an event the log now holds, with its proof when its write was signed. */
export type Applied =
  | { readonly record: CertificateRecord; readonly proof?: Proof; readonly event?: undefined }
  | { readonly event: LoggedEvent; readonly proof?: Proof; readonly record?: undefined };

/** Where a certificate stands: outstanding, or closed by an event, and what that event issued in its place. */
export interface Standing {
  readonly status: 'outstanding' | Closure['status'];
  /** The event that closed it. */
  readonly closedBy?: LoggedEvent;
  /** The event that issued it (a transfer's, reissuance's or balance's result). */
  readonly issuedBy?: LoggedEvent;
}

/** A class as the log now has it. */
export interface ClassFigures {
  readonly class: string;
  readonly authorized: number;
  /** Shares on every certificate ever issued, the results of events included. */
  readonly issued: number;
  /** Shares on outstanding certificates. */
  readonly outstanding: number;
  readonly remaining: number;
  readonly certificates: number;
  readonly certificatesOutstanding: number;
}

/** What became known to a state, as the edge tells it: a certificate as its index holds it, or an event. */
export type Change =
  { readonly kind: 'certificate'; readonly certificate: Certificate } | { readonly kind: 'lifecycle'; readonly event: LoggedEvent };

/** A void record as this state saw it: where, and why (src/core/validity.ts). */
export interface VoidNote {
  readonly offset: number;
  readonly reason: VoidReason;
  readonly message: string;
}

/** The void records kept for GET /audit/voids, newest last: a log of hostile writes must not grow the state without bound. */
export const MAX_VOID_NOTES = 1000;

/** Told what each `apply` brought, after the state took it in (the live feed, src/http/live.ts). */
export type AppliedListener = (applied: readonly Applied[]) => void;

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
  readonly events: readonly LoggedEvent[];
}

/** A record as read, as one text: equal for the same record however it reached the state (read, or written here). */
export function fingerprint(entry: LoggedRecord): string {
  const { offset, record, seal, malformed } = entry;
  if (seal !== undefined) return JSON.stringify([offset, seal.head.root, seal.signature]);
  if (entry.event !== undefined) return JSON.stringify([offset, encodeEvent(entry.event)]);
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
  /** Every valid event, in log order, and by offset. */
  private readonly events: LoggedEvent[] = [];
  private readonly eventAt = new Map<number, LoggedEvent>();
  private voids = 0;
  private readonly voidNotes: VoidNote[] = [];
  private readonly listeners = new Set<AppliedListener>();
  /** True once the log has been read from its start (to its end then). */
  loaded = false;

  constructor(
    shareClasses: readonly ShareClassConfig[],
    keyWindow: KeyWindow,
    private readonly observer?: LogStateObserver,
    verifier: SealVerifier = TRUSTS_NO_KEY,
  ) {
    this.rule = new ValidityRule(shareClasses, verifier, {
      amountOf: (shareClass, number) => this.indexes.get(shareClass)?.amountOf(number),
    });
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
          if (this.voidNotes.length === MAX_VOID_NOTES) this.voidNotes.shift();
          this.voidNotes.push({ offset: verdict.offset, reason: verdict.reason, message: verdict.message });
          this.observer?.voidRecord(verdict.reason, verdict.offset, verdict.message);
          continue;
        }
        if (verdict.kind === 'event') {
          const event = { offset: verdict.offset, record: verdict.event };
          this.events.push(event);
          this.eventAt.set(event.offset, event);
          this.rememberKey(event.record, event.record.class, -event.offset, Date.parse(event.record.at));
          certificates.push(verdict.proof === undefined ? { event } : { event, proof: verdict.proof });
          continue;
        }
        const { record, proof } = verdict;
        const index = this.indexes.get(record.class)!;
        index.add(record, proof?.seal.head.first);
        this.rememberKey(record, index.shareClass, record.number, Date.parse(record.issuedAt));
        certificates.push(proof === undefined ? { record } : { record, proof });
      }
    }
    if (certificates.length > 0) this.tell(certificates);
    return certificates;
  }

  /** Calls `listener` after every apply that brought certificates or events, until the returned function is called. */
  subscribe(listener: AppliedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The newest void records seen since start (at most MAX_VOID_NOTES; a snapshot's are counted in `voidRecords`, not listed). */
  recentVoids(): readonly VoidNote[] {
    return this.voidNotes;
  }

  private tell(applied: readonly Applied[]): void {
    // A listener's failure is its own: the state has moved, and the writer or the tail that applied must go on.
    for (const listener of this.listeners) {
      try {
        listener(applied);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  /** A key remembered for the certificate `number` answered, or for an event: its offset, negated. */
  private rememberKey(record: CertificateRecord | EventRecord, shareClass: string, number: number, atMs: number): void {
    if (record.idempotencyKey === undefined) return;
    this.keys.remember(scopedKey(record.principal, record.idempotencyKey), { class: shareClass, number, issuedAtMs: atMs });
  }

  /** The event an idempotency key in its principal's scope answered, if remembered at `atMs`. */
  recallEvent(scoped: string, atMs: number): LoggedEvent | undefined {
    const entry = this.keys.recall(scoped, atMs);
    return entry === undefined || entry.number > 0 ? undefined : this.eventAt.get(-entry.number);
  }

  /** Certificate `number` of the class, as the log holds it. */
  certificate(shareClass: string, number: number): Certificate | undefined {
    return this.indexes.get(shareClass)?.get(number);
  }

  hasLegend(id: string): boolean {
    return this.rule.hasLegend(id);
  }

  /** The class's authorized shares as the log has them: configured, or as the newest adjustment set them. */
  authorizedOf(shareClass: string): number | undefined {
    return this.rule.authorizedOf(shareClass);
  }

  outstandingOf(shareClass: string): number {
    return this.rule.tail(shareClass).outstanding;
  }

  /** The valid event at `offset`. */
  eventAtOffset(offset: number): LoggedEvent | undefined {
    return this.eventAt.get(offset);
  }

  /** Every valid event, in log order. */
  allEvents(): readonly LoggedEvent[] {
    return this.events;
  }

  /** Every certificate whose terms name stakeholder `holder`, class by class, by number. */
  heldBy(holder: string): Certificate[] {
    return [...this.indexes.values()].flatMap((index) => index.heldBy(holder));
  }

  /** The legend templates the log defines, in the order defined. */
  legends(): LegendTemplate[] {
    return this.events.filter(({ record }) => record.event === 'legend').map(({ record }) => record.legend!);
  }

  /** Where certificate `certificate` (of this log) stands. */
  standing(certificate: Certificate): Standing {
    const closure = this.rule.closure(certificate.id);
    const issuedBy = certificate.origin === undefined ? undefined : this.eventAt.get(certificate.origin);
    return {
      status: closure?.status ?? 'outstanding',
      ...(closure === undefined ? {} : { closedBy: this.eventAt.get(closure.event)! }),
      ...(issuedBy === undefined ? {} : { issuedBy }),
    };
  }

  /** Whether certificate `id` may be acted on by `event` now: outstanding, or stopped and being reissued. */
  closure(id: string): Closure | undefined {
    return this.rule.closure(id);
  }

  /** The class's figures as the log now has them; undefined for a class not configured. */
  figures(shareClass: string): ClassFigures | undefined {
    const index = this.indexes.get(shareClass);
    const authorized = this.rule.authorizedOf(shareClass);
    if (index === undefined || authorized === undefined) return undefined;
    const { outstanding } = this.rule.tail(shareClass);
    let closed = 0;
    for (const { record } of this.events)
      if (record.class === shareClass && record.certificate !== undefined && record.event !== 'stop') closed += 1;
    return {
      class: shareClass,
      authorized,
      issued: index.sharesIssued,
      outstanding,
      remaining: authorized - outstanding,
      certificates: index.count,
      certificatesOutstanding: index.count - closed,
    };
  }

  /**
   * The records, in order, that would continue their classes if they landed in place next, per class
   * the longest such prefix, and that carry no idempotency key the log already answered: what a
   * correct writer may write. An event continues when the certificate it acts on is still open to it
   * and nothing earlier in the write acts on it, and a legend when it is not yet defined; its results
   * continue the class after it.
   */
  continuing<R extends CertificateRecord | EventRecord>(records: readonly R[]): R[] {
    const tails = new Map<string, { readonly number: number; readonly sharesIssued: number } | undefined>();
    const keys = new Set<string>();
    const acted = new Set<string>();
    const kept: R[] = [];
    // Where the event whose results are being checked sits in `kept`: it stands or falls with them.
    let eventAt: number | undefined;
    for (const record of records) {
      const tail = tails.has(record.class) ? tails.get(record.class) : this.rule.tail(record.class);
      const key = record.idempotencyKey === undefined ? undefined : scopedKey(record.principal, record.idempotencyKey);
      const answered =
        key !== undefined &&
        (keys.has(key) || this.keys.recall(key, Date.parse('event' in record ? record.at : record.issuedAt)) !== undefined);
      if (key !== undefined) keys.add(key);
      if ('event' in record) {
        const continues = tail !== undefined && !answered && this.open(record, tail.number, acted);
        if (!continues) tails.set(record.class, undefined);
        eventAt = continues ? kept.length : undefined;
        if (continues) kept.push(record);
        continue;
      }
      const continues =
        tail !== undefined && !answered && record.number === tail.number + 1 && record.sharesIssued === tail.sharesIssued + record.amount;
      tails.set(record.class, continues ? { number: record.number, sharesIssued: record.sharesIssued } : undefined);
      if (record.origin === undefined) eventAt = undefined;
      else if (!continues && eventAt !== undefined) {
        // A result taken meanwhile: the event written without it would be void as incomplete.
        kept.splice(eventAt);
        eventAt = undefined;
      }
      if (continues) kept.push(record);
    }
    return kept;
  }

  /** Whether the event may act now, with certificates up to `newest` in its class and `acted` already acted on in the write. */
  private open(event: EventRecord, newest: number, acted: Set<string>): boolean {
    if (event.event === 'legend') {
      if (this.rule.hasLegend(event.legend!.id) || acted.has(`legend:${event.legend!.id}`)) return false;
      acted.add(`legend:${event.legend!.id}`);
      return true;
    }
    const target = event.certificate;
    if (target === undefined) return true;
    const number = parseCertificateId(target)?.number ?? 0;
    const closure = this.rule.closure(target);
    const openToIt = closure === undefined || (closure.status === 'stopped' && event.event === 'reissuance');
    if (number > newest || !openToIt || acted.has(target)) return false;
    acted.add(target);
    return true;
  }

  /**
   * The head, before its key and signature, of a write of `records` (stamped in place from `end`,
   * continuing their classes, `values` their encodings) that lands next: what the rule will require
   * of its seal. Its time is `now`, or the newest head's when this clock is behind that writer's.
   * The rule remembers the write's leaves and tree (ValidityRule.rootOf): applying it hashes no record again.
   */
  headOf(records: ReadonlyArray<CertificateRecord | EventRecord>, values: readonly string[], now: Date): Omit<Head, 'key'> {
    const tails = new Map<string, ClassCount>();
    for (const [code, index] of this.indexes)
      if (index.count > 0) tails.set(code, { number: index.count, sharesIssued: index.sharesIssued });
    for (const record of records) {
      if (!('event' in record)) tails.set(record.class, { number: record.number, sharesIssued: record.sharesIssued });
    }
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
      events: [...this.events],
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
    const tails = new Map<string, Omit<ClassTail, 'outstanding'>>();
    for (const { code, columns } of snapshot.indexes) {
      const index = CertificateIndex.fromColumns(code, columns);
      this.indexes.set(code, index);
      tails.set(code, { number: index.count, sharesIssued: index.sharesIssued });
    }
    this.rule.restore(tails, snapshot.progress);
    this.keys.restore(snapshot.keys);
    for (const event of snapshot.events) {
      this.events.push(event);
      this.eventAt.set(event.offset, event);
    }
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
