import { parseCertificateId, type CertificateRecord } from './certificate.js';
import type { LoggedRecord } from './logged-record.js';
import { CERTIFICATE_EVENTS, type EventRecord } from './events.js';
import { merkleTree } from './merkle.js';
import { leafOf } from './proof.js';
import { encodeEntry } from './record-format.js';
import {
  GENESIS,
  headHash,
  headText,
  TRUSTS_NO_KEY,
  type ClassCount,
  type Proof,
  type Seal,
  type SealVerifier,
  type SignedHead,
} from './seal.js';
import type { ShareClassConfig } from './share-class.js';

/**
 * Why a record is not a certificate. Only `misplaced` is what a correct writer leaves behind (a
 * stale writer's batch, a write delivered late, a retried duplicate): it was never acknowledged.
 * Every other reason means something wrote to the topic what no correct writer would, and the
 * audit reports it as a violation. The last five are the signature's: a record without a seal once
 * the log is signed (`unsigned`), a seal whose records or signature do not match (`bad_signature`),
 * a key not in the trusted set (`untrusted_key`) or not allowed to sign at the seal's time
 * (`retired_key`), and a seal that does not continue the chain of heads (`broken_chain`). The rest
 * are the events' (src/core/events.ts): acting on a certificate the log does not hold
 * (`unknown_certificate`) or that is not outstanding (`not_outstanding`: cancelled, superseded, or
 * stopped for anything but its reissuance), results that do not carry exactly the shares they must
 * (`not_conserved`), an event not followed by all its results or a result without its event
 * (`incomplete_event`), a legend not defined (`unknown_legend`) or defined twice (`duplicate_legend`).
 */
export const VOID_REASONS = [
  'misplaced',
  'malformed',
  'unknown_class',
  'out_of_sequence',
  'wrong_total',
  'over_authorized',
  'legacy_after_upgrade',
  'unsigned',
  'bad_signature',
  'untrusted_key',
  'retired_key',
  'broken_chain',
  'unknown_certificate',
  'not_outstanding',
  'not_conserved',
  'incomplete_event',
  'unknown_legend',
  'duplicate_legend',
] as const;
export type VoidReason = (typeof VOID_REASONS)[number];

export const HARMLESS_VOID: ReadonlySet<VoidReason> = new Set<VoidReason>(['misplaced']);

/**
 * What the rule decided about one record. A certificate or event from a signed write carries its
 * proof; a `head` is a valid seal (not a certificate: it signs the records before it).
 */
export type Verdict =
  | { readonly kind: 'certificate'; readonly offset: number; readonly record: CertificateRecord; readonly proof?: Proof }
  | { readonly kind: 'event'; readonly offset: number; readonly event: EventRecord; readonly proof?: Proof }
  | { readonly kind: 'head'; readonly offset: number; readonly head: SignedHead }
  | {
      readonly kind: 'void';
      readonly offset: number;
      readonly reason: VoidReason;
      readonly message: string;
      readonly record?: CertificateRecord;
      readonly event?: EventRecord;
    };

export interface ClassTail {
  /** Number of the class's newest certificate (0: none yet). */
  readonly number: number;
  /** The class's running total of shares issued on certificates, after that certificate. */
  readonly sharesIssued: number;
  /** Shares on the class's outstanding certificates: issued less what events cancelled, repurchased or moved to other certificates. */
  readonly outstanding: number;
}

const EMPTY: ClassTail = { number: 0, sharesIssued: 0, outstanding: 0 };

/** Why a certificate is no longer outstanding, and the offset of the event that made it so. */
export interface Closure {
  readonly status: 'cancelled' | 'stopped' | 'superseded';
  readonly event: number;
}

/** What events changed, for a snapshot: each class's outstanding shares and authorized shares, closed certificates, legends. */
export interface Lifecycle {
  readonly outstanding: Readonly<Record<string, number>>;
  readonly authorized: Readonly<Record<string, number>>;
  readonly closed: ReadonlyArray<readonly [string, Closure]>;
  readonly legends: readonly string[];
}

/** What the rule carries from one record to the next besides the class tails: for a snapshot. */
export interface RuleProgress {
  readonly statesOffsets: boolean;
  readonly lastOffset: number;
  /** The newest valid seal: from it on, every certificate must be signed (absent before the first). */
  readonly head?: SignedHead;
  readonly lifecycle: Lifecycle;
}

/** A record's leaf in its write's Merkle tree, and the hash of its bytes (its proof's `valueHash`). */
export interface Leaf {
  readonly valueHash: string;
  readonly leaf: string;
}

/** The amount of a certificate the log holds as valid, by class and number: what events are checked against. */
export interface CertificateAmounts {
  amountOf(shareClass: string, number: number): number | undefined;
}

/** Why a seal does not sign the write before it. */
interface SealFailure {
  readonly reason: VoidReason;
  readonly message: string;
}

/**
 * What the records judged so far made of the classes: tails, authorized shares, closed certificates
 * and legends. A layer over another holds what a signed write awaiting its seal, or an event awaiting
 * its results, would change: merged down when they stand, dropped when they fall.
 */
class Layer {
  readonly tails = new Map<string, ClassTail>();
  readonly authorized = new Map<string, number>();
  readonly closed = new Map<string, Closure>();
  readonly legends = new Set<string>();

  constructor(
    private readonly below: Layer | undefined,
    private readonly configured?: ReadonlyMap<string, number>,
  ) {}

  tail(code: string): ClassTail {
    return this.tails.get(code) ?? this.below?.tail(code) ?? EMPTY;
  }

  authorizedOf(code: string): number | undefined {
    return this.authorized.get(code) ?? (this.below === undefined ? this.configured?.get(code) : this.below.authorizedOf(code));
  }

  closure(id: string): Closure | undefined {
    return this.closed.get(id) ?? this.below?.closure(id);
  }

  hasLegend(id: string): boolean {
    return this.legends.has(id) || this.below?.hasLegend(id) === true;
  }

  /** Every class with a tail here or below. */
  codes(into: Set<string> = new Set()): Set<string> {
    for (const code of this.tails.keys()) into.add(code);
    this.below?.codes(into);
    return into;
  }

  mergeInto(layer: Layer): void {
    for (const [code, tail] of this.tails) layer.tails.set(code, tail);
    for (const [code, authorized] of this.authorized) layer.authorized.set(code, authorized);
    for (const [id, closure] of this.closed) layer.closed.set(id, closure);
    for (const legend of this.legends) layer.legends.add(legend);
  }
}

/** A signed write's records read so far, waiting for the seal at `sealAt` that decides them. */
interface PendingWrite {
  readonly sealAt: number;
  readonly first: number;
  readonly leaves: string[];
  readonly valueHashes: string[];
  /** Each record's verdict if the seal is valid (a certificate or event, or void on its own account), in log order. */
  readonly verdicts: Verdict[];
  /** What the write changes if the seal is valid. */
  readonly layer: Layer;
}

/** An event read, waiting for the results it lists. */
interface OpenEvent {
  readonly offset: number;
  readonly event: EventRecord;
  /** The target's amount (certificate events). */
  readonly amount: number;
  readonly results: Array<{ readonly offset: number; readonly record: CertificateRecord }>;
  readonly layer: Layer;
  /** Where the verdicts go once decided: the waiting write's; undefined for out, with the record that decides them. */
  readonly write: PendingWrite | undefined;
}

/** Certificates' amounts kept by the rule itself, for a reader that keeps no index (the audit): 8 bytes a certificate. */
class RunningTotals implements CertificateAmounts {
  private readonly totals = new Map<string, { values: Float64Array; size: number }>();

  add(record: CertificateRecord): void {
    let column = this.totals.get(record.class);
    if (column === undefined) this.totals.set(record.class, (column = { values: new Float64Array(1024), size: 0 }));
    if (column.size === column.values.length) {
      const grown = new Float64Array(column.size * 2);
      grown.set(column.values);
      column.values = grown;
    }
    column.values[column.size++] = record.sharesIssued;
  }

  amountOf(shareClass: string, number: number): number | undefined {
    const column = this.totals.get(shareClass);
    if (column === undefined || number < 1 || number > column.size) return undefined;
    return column.values[number - 1]! - (number === 1 ? 0 : column.values[number - 2]!);
  }
}

/**
 * The one rule deciding which records are certificates, applied by every reader in log order:
 * recovery, the follower tail, the writer checking its own writes, and the audit. Kafka has no
 * conditional append, so the condition is checked on read: a record is a certificate only if it
 * sits at the offset its writer stated and continues its class (the next number, the running total
 * plus its amount, the class's outstanding shares within its authorized shares). Any number of
 * writers, any delay or retry: every reader of the same log reaches the same verdicts, and a writer
 * acknowledges only valid records.
 *
 * Records written before scale-out state no offset; they are judged by continuation alone, until
 * the first record that states one: from there on the topic belongs to writers that state offsets,
 * and a record without one can only come from an old instance still running.
 *
 * Events (src/core/events.ts) sit in place like certificates and are judged against the classes as
 * the records before them left them: the certificate acted on must be valid and outstanding (a
 * stopped one only for its reissuance), an adjustment must leave the outstanding shares within the
 * authorized ones, a legend is defined once. An event's results follow it, each continuing its
 * class; once the last is read the shares must be conserved (the results carry the certificate's
 * shares less the quantity cancelled or repurchased) and the event and its results are valid
 * together, or void together.
 *
 * Signing (src/core/seal.ts): a signed write's records name the offset of their seal, which follows
 * them in the same atomic batch. They are judged as above, then held until the seal: it must sign
 * exactly them (the Merkle root of their leaves), continue the chain of heads (the previous valid
 * head's hash, a time no earlier than its), state each class's count as it now stands, and carry a
 * good signature by a key trusted at its time. Then its records are valid; otherwise every one of
 * them is void for the seal's reason. Once a valid seal exists, a record outside a signed write is
 * void (`unsigned`), as a record without an offset is once offsets are stated. Records before the
 * first valid seal are judged as they always were.
 */
export class ValidityRule {
  private readonly base: Layer;
  private readonly amounts: CertificateAmounts;
  /** Kept here when the reader keeps no index of its own. */
  private readonly ownTotals: RunningTotals | undefined;
  private statesOffsets = false;
  private lastOffset = -1;
  private head: SignedHead | undefined;
  private pending: PendingWrite | undefined;
  private open: OpenEvent | undefined;
  /** The verdicts the current call of `judge` or `finish` returns. */
  private out: Verdict[] = [];
  /** The leaves of the write this instance stated last (`leavesOf`), by each record's bytes. */
  private stated: ReadonlyMap<string, Leaf> = new Map();

  constructor(
    shareClasses: readonly ShareClassConfig[],
    private readonly verifier: SealVerifier = TRUSTS_NO_KEY,
    amounts?: CertificateAmounts,
  ) {
    this.base = new Layer(undefined, new Map(shareClasses.map(({ code, authorized }) => [code, authorized])));
    this.ownTotals = amounts === undefined ? new RunningTotals() : undefined;
    this.amounts = amounts ?? this.ownTotals!;
  }

  get progress(): RuleProgress {
    const outstanding: Record<string, number> = {};
    for (const [code, tail] of this.base.tails) outstanding[code] = tail.outstanding;
    return {
      statesOffsets: this.statesOffsets,
      lastOffset: this.lastOffset,
      ...(this.head === undefined ? {} : { head: this.head }),
      lifecycle: {
        outstanding,
        authorized: Object.fromEntries(this.base.authorized),
        closed: [...this.base.closed],
        legends: [...this.base.legends],
      },
    };
  }

  /** The newest valid seal, undefined while the log is unsigned. */
  get signedHead(): SignedHead | undefined {
    return this.head;
  }

  /** True while a signed write or an event was read in part: what the rule holds then is not yet a state to keep. */
  get waiting(): boolean {
    return this.pending !== undefined || this.open !== undefined;
  }

  /** Continues as if it had judged a log whose certificates left these tails, with this progress. */
  restore(tails: ReadonlyMap<string, Omit<ClassTail, 'outstanding'>>, progress: RuleProgress): void {
    if (this.lastOffset !== -1) throw new Error('Expected to restore a rule that has judged nothing');
    const { outstanding, authorized, closed, legends } = progress.lifecycle;
    for (const [shareClass, tail] of tails) {
      if (tail.number > 0) this.base.tails.set(shareClass, { ...tail, outstanding: outstanding[shareClass] ?? tail.sharesIssued });
    }
    for (const [code, shares] of Object.entries(authorized)) this.base.authorized.set(code, shares);
    for (const [id, closure] of closed) this.base.closed.set(id, closure);
    for (const legend of legends) this.base.legends.add(legend);
    this.statesOffsets = progress.statesOffsets;
    this.lastOffset = progress.lastOffset;
    this.head = progress.head;
  }

  tail(shareClass: string): ClassTail {
    return this.base.tail(shareClass);
  }

  /** The class's authorized shares as the log now has them (configured, or as an adjustment set them). */
  authorizedOf(shareClass: string): number | undefined {
    return this.base.authorizedOf(shareClass);
  }

  /** Why certificate `id` is no longer outstanding; undefined while it is (or is not a certificate). */
  closure(id: string): Closure | undefined {
    return this.base.closure(id);
  }

  hasLegend(id: string): boolean {
    return this.base.hasLegend(id);
  }

  /**
   * The leaves of a write this instance is about to make (LogState.headOf), remembered by each
   * record's bytes until the next one, so that judging that write when it is applied hashes none
   * of its records again. A leaf is a function of the record's bytes alone (the record is what
   * they decode to), so a remembered leaf is the one any reader computes: nothing is taken on trust.
   */
  leavesOf(records: ReadonlyArray<CertificateRecord | EventRecord>, values: readonly string[]): Leaf[] {
    const leaves = records.map((record, index) => leafOf(record, values[index]!));
    this.stated = new Map(values.map((value, index) => [value, leaves[index]!]));
    return leaves;
  }

  /**
   * Judges the next record; records must come in offset order, each once. Returns the verdicts
   * reached with it, in log order: none while a signed write waits for its seal or an event for its
   * results, all of theirs when they are decided.
   */
  judge(entry: LoggedRecord): Verdict[] {
    if (entry.offset <= this.lastOffset) {
      throw new Error(`Records must be judged in log order: offset ${entry.offset} came after ${this.lastOffset}`);
    }
    this.lastOffset = entry.offset;
    const verdicts: Verdict[] = [];
    this.out = verdicts;
    this.judgeEntry(entry, verdicts);
    if (this.ownTotals !== undefined)
      for (const verdict of verdicts) if (verdict.kind === 'certificate') this.ownTotals.add(verdict.record);
    return verdicts;
  }

  private judgeEntry(entry: LoggedRecord, verdicts: Verdict[]): void {
    const { offset } = entry;
    const open = this.open;
    const pending = this.pending;
    const leavesWrite = pending !== undefined && !this.belongs(entry, pending);
    // An event's results are in its write: under its seal, or unsigned with it.
    const continuesOpen =
      entry.record?.origin === open?.offset && entry.record?.offset === offset && entry.record?.seal === open?.event.seal;
    if (open !== undefined && (leavesWrite || !continuesOpen)) {
      this.open = undefined;
      this.failEvent(open, 'incomplete_event', `is not followed by all of its results (${open.event.results!.join(', ')})`);
    }
    if (pending !== undefined && leavesWrite) {
      this.pending = undefined;
      this.voidWrite(pending, 'unsigned', `is not followed by its seal at offset ${pending.sealAt}`, verdicts);
    }
    if (entry.seal !== undefined) {
      this.judgeSeal(offset, entry.seal, verdicts);
      return;
    }
    const record = entry.record ?? entry.event;
    if (record === undefined) {
      verdicts.push({ kind: 'void', offset, reason: 'malformed', message: `offset ${offset}: ${entry.malformed}` });
      return;
    }
    const at = `${entry.event === undefined ? entry.record!.id : `${entry.event.event} of ${entry.event.certificate ?? entry.event.class}`} at offset ${offset}`;
    const voided = (reason: VoidReason, message: string): void => void verdicts.push(this.void(offset, entry, reason, message));
    if (record.offset !== undefined) {
      this.statesOffsets = true;
      if (record.offset !== offset)
        return voided('misplaced', `${at} was written for offset ${record.offset}: a stale, late or retried write`);
    } else if (this.statesOffsets) {
      return voided('legacy_after_upgrade', `${at} states no offset, after records that do: an old instance is still writing`);
    }
    let into = verdicts;
    let layer = this.base;
    let write: PendingWrite | undefined;
    if (record.seal === undefined) {
      if (this.head !== undefined)
        return voided('unsigned', `${at} is not signed, after signed records: something without the signing key wrote it`);
    } else {
      write = this.pending;
      if (write === undefined) {
        write = { sealAt: record.seal, first: offset, leaves: [], valueHashes: [], verdicts: [], layer: new Layer(this.base) };
        this.pending = write;
      }
      const value = (entry as { readonly value?: string }).value ?? encodeEntry(record);
      const { valueHash, leaf } = this.stated.get(value) ?? leafOf(record, value);
      write.valueHashes.push(valueHash);
      write.leaves.push(leaf);
      into = write.verdicts;
      layer = write.layer;
    }
    if (entry.event !== undefined) return this.judgeEvent(offset, entry.event, at, layer, write);
    const certificate = entry.record!;
    if (certificate.origin !== undefined) {
      const event = this.open;
      if (event === undefined)
        return void into.push(
          this.void(
            offset,
            entry,
            'incomplete_event',
            `${at} names an event at offset ${certificate.origin} that is not valid or not waiting for it`,
          ),
        );
      return this.judgeResult(event, offset, certificate, at);
    }
    const verdict = this.continues(offset, certificate, layer, at);
    if (verdict.kind === 'certificate') layer.tails.set(certificate.class, this.advanced(layer.tail(certificate.class), certificate));
    into.push(verdict);
  }

  /**
   * At the end of a log read to its end: a signed write still waiting for its seal, or an event for
   * its results, will never get them (a write is one atomic batch), so its records are void. Only
   * the audit calls this; an instance keeps waiting, since the rest of the batch may be in the next chunk.
   */
  finish(): Verdict[] {
    const verdicts: Verdict[] = [];
    this.out = verdicts;
    const open = this.open;
    this.open = undefined;
    if (open !== undefined)
      this.failEvent(open, 'incomplete_event', `is not followed by all of its results (${open.event.results!.join(', ')})`);
    const pending = this.pending;
    this.pending = undefined;
    if (pending !== undefined) this.voidWrite(pending, 'unsigned', `is not followed by its seal at offset ${pending.sealAt}`, verdicts);
    return verdicts;
  }

  /** Whether the entry continues the waiting signed write: one of its records in place, or its seal. */
  private belongs(entry: LoggedRecord, pending: PendingWrite): boolean {
    if (entry.seal !== undefined) return entry.offset === pending.sealAt;
    const record = entry.record ?? entry.event;
    return record?.seal === pending.sealAt && record.offset === entry.offset && entry.offset < pending.sealAt;
  }

  private advanced(tail: ClassTail, record: CertificateRecord): ClassTail {
    return { number: record.number, sharesIssued: record.sharesIssued, outstanding: tail.outstanding + record.amount };
  }

  private continues(offset: number, record: CertificateRecord, layer: Layer, at: string): Verdict {
    const authorized = layer.authorizedOf(record.class);
    if (authorized === undefined) return this.void(offset, { record }, 'unknown_class', `${at}: class ${record.class} is not configured`);
    const tail = layer.tail(record.class);
    if (record.number !== tail.number + 1) {
      return this.void(offset, { record }, 'out_of_sequence', `${at} does not follow ${record.class}-${tail.number}`);
    }
    if (record.sharesIssued !== tail.sharesIssued + record.amount) {
      return this.void(
        offset,
        { record },
        'wrong_total',
        `${at}: running total ${record.sharesIssued} is not ${tail.sharesIssued} + ${record.amount}`,
      );
    }
    if (tail.outstanding + record.amount > authorized) {
      return this.void(
        offset,
        { record },
        'over_authorized',
        `${at}: ${tail.outstanding + record.amount} shares outstanding, above the ${authorized} authorized`,
      );
    }
    const missing = record.terms?.legends?.find((legend) => !layer.hasLegend(legend));
    if (missing !== undefined)
      return this.void(offset, { record }, 'unknown_legend', `${at} bears legend ${missing}, which the log does not define`);
    return { kind: 'certificate', offset, record };
  }

  /** An event: void at once if it cannot apply; otherwise decided now (no results) or once its results are read. */
  private judgeEvent(offset: number, event: EventRecord, at: string, below: Layer, write: PendingWrite | undefined): void {
    const into = write?.verdicts ?? this.out;
    const voided = (reason: VoidReason, message: string): void => void into.push(this.void(offset, { event }, reason, `${at} ${message}`));
    const code = event.class;
    const authorized = below.authorizedOf(code);
    if (authorized === undefined) return voided('unknown_class', `is for class ${code}, which is not configured`);
    let amount = 0;
    if (CERTIFICATE_EVENTS.has(event.event)) {
      const target = parseCertificateId(event.certificate!)!;
      const known = target.number <= below.tail(code).number ? this.amounts.amountOf(code, target.number) : undefined;
      if (known === undefined)
        return voided('unknown_certificate', `acts on ${event.certificate}, which the log does not hold as a certificate`);
      amount = known;
      const closure = below.closure(event.certificate!);
      if (closure !== undefined && !(closure.status === 'stopped' && event.event === 'reissuance')) {
        return voided('not_outstanding', `acts on ${event.certificate}, which is ${closure.status} (event at offset ${closure.event})`);
      }
      if (event.quantity !== undefined && event.quantity > amount) {
        return voided('not_conserved', `takes ${event.quantity} shares of ${event.certificate}, which has ${amount}`);
      }
    }
    if (event.event === 'adjustment' && event.authorized! < below.tail(code).outstanding) {
      return voided('over_authorized', `sets ${event.authorized} authorized shares, below the ${below.tail(code).outstanding} outstanding`);
    }
    if (event.event === 'legend' && below.hasLegend(event.legend!.id))
      return voided('duplicate_legend', `defines legend ${event.legend!.id} again`);
    const layer = new Layer(below);
    if (amount > 0) {
      // The certificate's shares leave it now; its results bring back what is not cancelled.
      const tail = layer.tail(code);
      layer.tails.set(code, { ...tail, outstanding: tail.outstanding - amount });
    }
    const open: OpenEvent = { offset, event, amount, results: [], layer, write };
    if ((event.results?.length ?? 0) === 0) return this.closeEvent(open, below);
    this.open = open;
  }

  /** A result of the open event: the one it expects next, continuing the class. */
  private judgeResult(open: OpenEvent, offset: number, record: CertificateRecord, at: string): void {
    const expected = open.event.results![open.results.length];
    const verdict = this.continues(offset, record, open.layer, at);
    if (record.id !== expected || verdict.kind !== 'certificate') {
      this.open = undefined;
      open.results.push({ offset, record });
      const why = record.id !== expected ? `${record.id} came where ${expected} was expected` : (verdict as { message: string }).message;
      return this.failEvent(open, 'incomplete_event', `is void with its results: ${why}`);
    }
    open.layer.tails.set(record.class, this.advanced(open.layer.tail(record.class), record));
    open.results.push({ offset, record });
    if (open.results.length < open.event.results!.length) return;
    this.open = undefined;
    this.closeEvent(open, open.write?.layer ?? this.base);
  }

  /** An event with all its results read: valid if the shares are conserved, with what it changes merged into `below`. */
  private closeEvent(open: OpenEvent, below: Layer): void {
    const { event, offset, amount, layer } = open;
    const carried = open.results.reduce((sum, { record }) => sum + record.amount, 0);
    const balance = event.balance === undefined ? 0 : open.results[open.results.length - 1]!.record.amount;
    const kept = event.event === 'transfer' || event.event === 'reissuance' ? amount : amount - (event.quantity ?? 0);
    if (CERTIFICATE_EVENTS.has(event.event) && event.event !== 'stop') {
      if (carried !== kept || (event.event === 'transfer' && event.quantity !== amount - balance)) {
        return this.failEvent(
          open,
          'not_conserved',
          `moves ${carried} shares of ${event.certificate}'s ${amount} to its results, not ${kept}`,
        );
      }
    }
    if (event.event === 'stop') {
      // A stop changes no shares: what left the certificate stays with it.
      const tail = layer.tail(event.class);
      layer.tails.set(event.class, { ...tail, outstanding: tail.outstanding + amount });
    }
    if (event.certificate !== undefined) {
      const status = event.event === 'stop' ? 'stopped' : event.event === 'reissuance' ? 'superseded' : 'cancelled';
      layer.closed.set(event.certificate, { status, event: offset });
    }
    if (event.event === 'adjustment') layer.authorized.set(event.class, event.authorized!);
    if (event.event === 'legend') layer.legends.add(event.legend!.id);
    layer.mergeInto(below);
    const into = open.write?.verdicts ?? this.out;
    into.push({ kind: 'event', offset, event });
    for (const result of open.results) into.push({ kind: 'certificate', offset: result.offset, record: result.record });
  }

  /** The open event and its results read so far, void: the event for `reason`, its results as incomplete. */
  private failEvent(open: OpenEvent, reason: VoidReason, why: string): void {
    const { event, offset } = open;
    const at = `${event.event} of ${event.certificate ?? event.class} at offset ${offset}`;
    const into = open.write?.verdicts ?? this.out;
    into.push(this.void(offset, { event }, reason, `${at} ${why}`));
    for (const result of open.results) {
      into.push(
        this.void(
          result.offset,
          { record: result.record },
          'incomplete_event',
          `${result.record.id} at offset ${result.offset} is a result of the void ${at}`,
        ),
      );
    }
  }

  private judgeSeal(offset: number, seal: Seal, verdicts: Verdict[]): void {
    const { head } = seal;
    const write = this.pending;
    this.pending = undefined;
    const at = `seal at offset ${offset}`;
    const sealEnd = head.first + head.count;
    if (sealEnd !== offset) {
      if (write !== undefined) this.voidWrite(write, 'unsigned', `is not followed by its seal at offset ${write.sealAt}`, verdicts);
      verdicts.push({
        kind: 'void',
        offset,
        reason: 'misplaced',
        message: `${at} was written for offset ${sealEnd}: a stale, late or retried write`,
      });
      return;
    }
    const checked = this.checkSeal(seal, write, offset);
    if ('reason' in checked) {
      if (write !== undefined) this.voidWrite(write, checked.reason, `is signed by the ${at}, which is void`, verdicts);
      verdicts.push({ kind: 'void', offset, reason: checked.reason, message: `${at}: ${checked.message}` });
      return;
    }
    const { text, paths } = checked;
    const signed: SignedHead = { head, signature: seal.signature, offset, hash: headHash(text) };
    write!.layer.mergeInto(this.base);
    const first = write!.first;
    for (const verdict of write!.verdicts) {
      if (verdict.kind === 'void' || verdict.kind === 'head') {
        verdicts.push(verdict);
        continue;
      }
      const index = verdict.offset - first;
      verdicts.push({ ...verdict, proof: { valueHash: write!.valueHashes[index]!, index, path: paths[index]!, seal: signed } });
    }
    this.head = signed;
    verdicts.push({ kind: 'head', offset, head: signed });
  }

  /**
   * Why the seal cannot sign the waiting write; or when it does, the head's text and the write's
   * audit paths (its records' proofs), from the one pass over the tree that checked its root.
   */
  private checkSeal(
    seal: Seal,
    write: PendingWrite | undefined,
    offset: number,
  ): SealFailure | { readonly text: string; readonly paths: string[][] } {
    const { head } = seal;
    if (write === undefined || write.first !== head.first || write.leaves.length !== head.count || write.sealAt !== offset) {
      return {
        reason: 'broken_chain',
        message: `it signs ${head.count} records from offset ${head.first}, which are not the records before it`,
      };
    }
    const { root, paths } = merkleTree(write.leaves);
    if (root !== head.root) {
      return { reason: 'bad_signature', message: `its root ${head.root} is not the root of the records it signs: they were altered` };
    }
    const prev = this.head?.hash ?? GENESIS;
    if (head.prev !== prev) return { reason: 'broken_chain', message: `it follows head ${head.prev}, not the previous valid head ${prev}` };
    if (this.head !== undefined && head.at < this.head.head.at) {
      return { reason: 'broken_chain', message: `its time ${head.at} is before the previous head's ${this.head.head.at}` };
    }
    const counts = JSON.stringify(this.counts(write));
    if (JSON.stringify(head.classes) !== counts) {
      return { reason: 'broken_chain', message: `its class counts ${JSON.stringify(head.classes)} are not the log's ${counts}` };
    }
    const text = headText(head);
    const check = this.verifier.check(head, text, seal.signature);
    if (check === 'ok') return { text, paths };
    const messages = {
      untrusted_key: `key ${head.key} is not a trusted signing key`,
      retired_key: `key ${head.key} may not sign at ${head.at}`,
      bad_signature: `its signature is not key ${head.key}'s signature of its head`,
    } as const;
    return { reason: check, message: messages[check] };
  }

  /** Every class's count as the write would leave it, in code order: what a head states. */
  private counts(write: PendingWrite): Record<string, ClassCount> {
    const counts: Record<string, ClassCount> = {};
    for (const code of [...write.layer.codes()].sort()) {
      const { number, sharesIssued } = write.layer.tail(code);
      if (number > 0) counts[code] = { number, sharesIssued };
    }
    return counts;
  }

  /** The write's records, void: those that were valid for `reason`, the others for their own. */
  private voidWrite(write: PendingWrite, reason: VoidReason, why: string, verdicts: Verdict[]): void {
    for (const verdict of write.verdicts) {
      if (verdict.kind === 'certificate')
        verdicts.push(
          this.void(verdict.offset, { record: verdict.record }, reason, `${verdict.record.id} at offset ${verdict.offset} ${why}`),
        );
      else if (verdict.kind === 'event')
        verdicts.push(
          this.void(
            verdict.offset,
            { event: verdict.event },
            reason,
            `${verdict.event.event} of ${verdict.event.certificate ?? verdict.event.class} at offset ${verdict.offset} ${why}`,
          ),
        );
      else verdicts.push(verdict);
    }
  }

  private void(
    offset: number,
    what: { readonly record?: CertificateRecord | undefined; readonly event?: EventRecord | undefined },
    reason: VoidReason,
    message: string,
  ): Verdict {
    return {
      kind: 'void',
      offset,
      reason,
      message,
      ...(what.record === undefined ? {} : { record: what.record }),
      ...(what.event === undefined ? {} : { event: what.event }),
    };
  }
}
