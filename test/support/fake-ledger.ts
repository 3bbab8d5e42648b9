import type { CertificateRecord } from '../../src/core/certificate.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import { certificates } from './certificates.js';
import type { EncodedRecord, Ledger, LogBounds, LogFollower, WriteLimit } from '../../src/core/ledger.js';
import { encodeValue, readRecord } from '../../src/core/record-format.js';
import { LogState } from '../../src/core/log-state.js';
import { LogWriter } from '../../src/actors/log-writer.js';
import { Sequencers } from '../../src/actors/sequencers.js';
import type { ActorOptions } from '../../src/actors/share-class-actor.js';
import { DEFAULTS } from '../../src/config.js';
import type { ShareClassConfig } from '../../src/core/share-class.js';
import type { SigningKeys } from '../../src/signing/signing-keys.js';

/**
 * How an append ends: it lands and is acknowledged; it lands but the acknowledgement is lost; it is
 * refused without landing; or its writer gives up on it while it is still in the network, and it
 * lands when the test calls `deliverLate`.
 */
export type AppendFate = 'ok' | 'lost-ack' | 'not-landed' | 'late';

interface PendingAppend {
  readonly records: readonly EncodedRecord[];
  readonly resolve: (baseOffset: number) => void;
  readonly reject: (error: Error) => void;
}

/** One turn of the event loop: the group commit takes what is pending only on the next turn. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * An in-memory single-partition topic, as the sequencing core sees Kafka through the Ledger port:
 * an append lands whole and contiguously at the end and answers with its base offset; every writer
 * sharing the instance shares the one log. The knobs make the faults Kafka can make. For unit tests
 * of pure sequencing logic only: every invariant is also proven against real Kafka.
 */
export class FakeLedger implements Ledger {
  readonly writeLimit: WriteLimit<CertificateRecord> = { maxWeight: 1_000_000, weigh: () => 1 };
  /** Sizes of the appends asked for, in order, whatever became of them. */
  readonly appends: number[] = [];
  /** Reads asked for: a write that lands where it was stated must cost none. */
  reads = 0;
  /** While true, bounds, reads and follows fail as with an unreachable broker. */
  failReads = false;
  private readonly log: EncodedRecord[] = [];
  private holding = false;
  private readonly held: PendingAppend[] = [];
  private readonly fates: AppendFate[] = [];
  private readonly inNetwork: Array<readonly EncodedRecord[]> = [];
  private readonly followers = new Set<() => void>();

  /** The certificate records in the log, decoded, in order (seals left out). */
  get records(): readonly CertificateRecord[] {
    return this.entries().flatMap((entry) => (entry.record === undefined ? [] : [entry.record]));
  }

  /** Records and seals as a reader of the log gets them. */
  entries(from = 0, to = this.log.length): LoggedRecord[] {
    return this.log.slice(from, to).map(({ key, value }, index) => readRecord(from + index, key, value));
  }

  /** From now on appends wait, until `release` or `complete` ends them. */
  hold(): void {
    this.holding = true;
  }

  /** Stops holding and ends every held append, oldest first, each meeting the next fate `failNext` queued. */
  release(): void {
    this.holding = false;
    for (const pending of this.held.splice(0)) this.end(pending, this.fates.shift() ?? 'ok');
  }

  /** The records of each append still held, oldest first. */
  get heldAppends(): ReadonlyArray<readonly EncodedRecord[]> {
    return this.held.map((pending) => pending.records);
  }

  /** Ends one held append, the others still waiting: appends of several writers land in any order. */
  complete(index = 0, fate: AppendFate = 'ok'): void {
    const [pending] = this.held.splice(index, 1);
    if (pending === undefined) throw new Error(`No held append at ${index}; ${this.held.length} held`);
    this.end(pending, fate);
  }

  /** Resolves once `count` appends are held, so a test can act between a numbering and its landing. */
  async waitForHeld(count = 1): Promise<void> {
    for (let turns = 0; this.held.length < count; turns += 1) {
      if (turns === 1000) throw new Error(`Expected ${count} held appends, ${this.held.length} after 1000 turns`);
      await nextTurn();
    }
  }

  /** The next append to end (queued: one fate per append) meets `fate` instead of landing normally. */
  failNext(fate: AppendFate): void {
    this.fates.push(fate);
  }

  /** The records of each append given up on by its writer and still in the network, oldest first. */
  get lateAppends(): ReadonlyArray<readonly EncodedRecord[]> {
    return this.inNetwork;
  }

  /** One append still in the network lands now, at the end as it is now. False if there is none. */
  deliverLate(index = 0): boolean {
    const [records] = this.inNetwork.splice(index, 1);
    if (records === undefined) return false;
    this.injectEncoded(records);
    return true;
  }

  /** Lands records at the end as another writer's append would, answering nobody here. */
  inject(records: readonly CertificateRecord[]): number {
    return this.injectEncoded(records.map((record) => ({ key: record.class, value: encodeValue(record) })));
  }

  /** Lands records exactly as given (seals, damaged bytes) at the end. */
  injectEncoded(records: readonly EncodedRecord[]): number {
    const base = this.log.length;
    this.log.push(...records);
    for (const follower of this.followers) queueMicrotask(follower);
    return base;
  }

  append(records: readonly EncodedRecord[]): Promise<number> {
    this.appends.push(records.length);
    return new Promise((resolve, reject) => {
      const pending = { records: [...records], resolve, reject };
      if (this.holding) this.held.push(pending);
      else this.end(pending, this.fates.shift() ?? 'ok');
    });
  }

  async bounds(): Promise<LogBounds> {
    await this.roundTrip();
    return { low: 0, high: this.log.length };
  }

  async read(from: number, to: number, onRecords: (records: LoggedRecord[]) => unknown): Promise<void> {
    this.reads += 1;
    await this.roundTrip();
    if (from < to) onRecords(this.entries(from, to));
  }

  follow(
    from: number,
    onRecords: (records: LoggedRecord[], highWatermark: number) => void,
    onError: (error: unknown) => void,
  ): LogFollower {
    let next = from;
    const deliver = (): void => {
      if (!this.followers.has(deliver)) return;
      if (this.failReads) {
        this.followers.delete(deliver);
        onError(new Error('broker unreachable'));
      } else if (next < this.log.length) {
        const entries = this.entries(next);
        next = this.log.length;
        onRecords(entries, next);
      }
    };
    this.followers.add(deliver);
    // A consumer delivers on its own schedule, never inside the call that subscribed or wrote.
    queueMicrotask(deliver);
    return {
      stop: async () => {
        this.followers.delete(deliver);
      },
    };
  }

  private end(pending: PendingAppend, fate: AppendFate): void {
    if (fate === 'not-landed') return pending.reject(new Error('broker refused the write'));
    if (fate === 'late') {
      this.inNetwork.push(pending.records);
      return pending.reject(new Error('request timed out; the write is still in the network'));
    }
    const base = this.injectEncoded(pending.records);
    if (fate === 'lost-ack') pending.reject(new Error('connection reset before the acknowledgement'));
    else pending.resolve(base);
  }

  /** A question to the broker takes a turn of the event loop: whatever a test does meanwhile lands between a reader's questions. */
  private async roundTrip(): Promise<void> {
    await nextTurn();
    if (this.failReads) throw new Error('broker unreachable');
  }
}

/**
 * A record as another writer (or, without `offset` and `request`, a writer from before scale-out)
 * would write it: one share each unless `amount` says, running total as if every earlier certificate
 * of the class had the same amount unless `sharesIssued` says.
 */
export function foreignRecord(
  shareClass: string,
  number: number,
  fields: {
    offset?: number;
    amount?: number;
    sharesIssued?: number;
    request?: string;
    idempotencyKey?: string;
    principal?: string;
    seal?: number;
  } = {},
): CertificateRecord {
  const [record] = certificates(shareClass, number, 1, fields.amount ?? 1);
  return {
    ...record!,
    ...(fields.sharesIssued === undefined ? {} : { sharesIssued: fields.sharesIssued }),
    ...(fields.idempotencyKey === undefined ? {} : { idempotencyKey: fields.idempotencyKey }),
    ...(fields.principal === undefined ? {} : { principal: fields.principal, requestId: `other-request-${shareClass}-${number}` }),
    ...(fields.offset === undefined ? {} : { offset: fields.offset, request: fields.request ?? `other-${shareClass}-${number}` }),
    ...(fields.seal === undefined ? {} : { seal: fields.seal }),
  };
}

export interface FakeInstance {
  readonly state: LogState;
  readonly writer: LogWriter;
  readonly sequencers: Sequencers;
}

/** One instance's sequencing core over the (possibly shared) fake log, started as a node starts: it reads the log to its end. */
export async function fakeInstance(
  ledger: FakeLedger,
  shareClasses: readonly ShareClassConfig[],
  options: Partial<ActorOptions> = {},
  signing?: SigningKeys,
): Promise<FakeInstance> {
  const state = new LogState(shareClasses, DEFAULTS.keyWindow, undefined, signing);
  const writer = new LogWriter(ledger, state, signing === undefined ? {} : { signer: signing });
  const { high } = await ledger.bounds();
  await ledger.read(0, high, (entries) => void state.apply(entries));
  state.readTo(high);
  state.loaded = true;
  const actorOptions = { ackTimeoutMs: DEFAULTS.commitTimeoutMs, now: () => new Date(), ...options };
  return { state, writer, sequencers: new Sequencers(shareClasses, state, writer, actorOptions) };
}
