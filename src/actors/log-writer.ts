import { certificateRecord, type CertificateRecord } from '../core/certificate.js';
import type { LoggedRecord } from '../core/logged-record.js';
import { CertificateError } from '../core/errors.js';
import type { Ledger, WriteLimit } from '../core/ledger.js';
import type { Applied, LogState } from '../core/log-state.js';
import { encodeEvent, encodeValue } from '../core/record-format.js';
import type { EventRecord } from '../core/events.js';
import { encodeSeal, SEAL_KEY, type SealSigner } from '../core/seal.js';
import { Batcher, type BatcherOptions } from './batcher.js';

export interface WriterObserver {
  /** A write did not land where it was stated (someone else wrote first, or it failed): the log was read again. */
  resynced(
    reason: 'landed_elsewhere' | 'failed',
    where: { readonly stated: number; readonly landed?: number; readonly readTo: number },
  ): void;
  /**
   * A write was sealed: its records hashed into their tree and its head signed, which took `seconds`
   * of this thread, on the path of every request the write carries (docs/benchmark.md, "Signing's floor").
   */
  sealed?(seconds: number): void;
}

/** For each record committed, in order: its counterpart the log holds for its request (with its proof when signed), or undefined if none. */
export type Settlement = ReadonlyArray<Applied | undefined>;

export interface WriterOptions {
  readonly observer?: WriterObserver;
  /** Signs each write (src/signing/); without it writes are unsigned, which a signed log voids. */
  readonly signer?: SealSigner;
  readonly now?: () => Date;
}

/** An actor's records for one write: certificates, and events each followed by its results. */
type Submission = ReadonlyArray<CertificateRecord | EventRecord>;

/** Fewer records than this make a small write, worth waiting a few turns for company. */
const SMALL_WRITE = 8;
/** Turns of the event loop a small write waits in all, counting the one every write waits. */
const MAX_TURNS = 4;

/**
 * How writes gather (the group commit): whatever is submitted while a write is in flight goes out
 * together in the next one, so the share-class actors share each log round trip instead of
 * queueing behind one another, each write carrying whole submissions up to the log's size limit.
 *
 * Each write waits one turn of the event loop (setImmediate) before it takes what is pending. When a
 * write returns, the actors it answered resubmit in microtasks; without that turn the next write
 * would leave at once with only the other actor's batch, and the classes would take turns, one per
 * round trip, instead of sharing it.
 *
 * A write that would carry fewer than `SMALL_WRITE` records waits up to `MAX_TURNS` turns in all, so
 * that a write's fixed cost (a produce request: ~0.1 ms of this process's CPU and ~0.3 ms of the
 * broker's) is shared by more certificates: the actors' next batches gather while it waits and
 * travels, and go out together in the next write. A turn of a busy loop is a round of other work
 * (connections accepted, bodies read, answers sent), so the wait costs no idle time; an idle loop
 * turns in microseconds. Under `ab` (a new connection per request, so requests arrive one or two per
 * turn) writes grew from ~2.7 to ~6 certificates and throughput by ~30%; under keep-alive load, where
 * writes carry ~9 anyway, it changes nothing measurable (docs/benchmark.md, "Small writes wait a few
 * turns"). A timer would not do: a 1 ms wait left the loop idle and cost throughput.
 */
export function groupCommit<T, R>(limit: WriteLimit<T>, write: BatcherOptions<readonly T[], R>['handle']): BatcherOptions<readonly T[], R> {
  return {
    handle: write,
    maxWeight: limit.maxWeight,
    weigh: (records) => {
      let weight = 0;
      for (const record of records) weight += limit.weigh(record);
      return weight;
    },
    gather: (turns, waiting) => {
      if (turns === 0) return true;
      if (turns >= MAX_TURNS) return false;
      let records = 0;
      for (const submission of waiting) records += submission.length;
      return records < SMALL_WRITE;
    },
  };
}

/** A record of a write as the log will hold it: where, its Kafka key and its value's text, decoded. */
export type WriteEntry = LoggedRecord & { readonly key: string; readonly value: string };

/**
 * The records stated in place from the log's end as `state` knows it, as the log will hold them:
 * encoded, and when `signer` is given, naming the seal that follows them, which signs their head
 * (at `now()`), telling `sealed` how long the seal took. A signed log takes nothing unsigned, so
 * without a signer this refuses to write on one. The writer's one format of a write, also what
 * bench/scale.ts fills a topic with.
 */
export function writeEntries(
  state: LogState,
  records: ReadonlyArray<CertificateRecord | EventRecord>,
  signer: SealSigner | undefined,
  now: () => Date,
  sealed?: (seconds: number) => void,
): WriteEntry[] {
  const entries = stateEntries(state, records, signer !== undefined);
  if (signer === undefined) return entries;
  const started = performance.now();
  entries.push(sealEntry(state, entries, signer, now));
  sealed?.((performance.now() - started) / 1000);
  return entries;
}

/** The records encoded where they will land, each naming the seal that will follow them when `signed`. */
function stateEntries(state: LogState, records: ReadonlyArray<CertificateRecord | EventRecord>, signed: boolean): WriteEntry[] {
  const first = state.end;
  const sealAt = signed ? first + records.length : undefined;
  if (sealAt === undefined && state.head !== undefined) {
    throw new CertificateError(
      'signing_unavailable',
      `The certificate log is signed and this instance holds no signing key (SIGNING_KEY_FILE); nothing was issued, retry later`,
    );
  }
  // An event's results name it by its offset, known only here.
  let eventAt: number | undefined;
  return records.map((record, index) => {
    const offset = first + index;
    if ('event' in record) {
      eventAt = offset;
      const event: EventRecord = { ...record, offset, ...(sealAt === undefined ? {} : { seal: sealAt }) };
      return { offset, event, key: event.class, value: encodeEvent(event) };
    }
    const stamped = certificateRecord(
      record.origin === undefined ? record : { ...record, origin: eventAt! },
      offset,
      record.request,
      record.idempotencyKey,
      record.principal,
      record.requestId,
      sealAt,
    );
    return { offset, record: stamped, key: stamped.class, value: encodeValue(stamped) };
  });
}

/** The seal that follows `entries`: the root of their tree in the head of the log after them, signed (at `now()`). */
function sealEntry(state: LogState, entries: readonly WriteEntry[], signer: SealSigner, now: () => Date): WriteEntry {
  const head = state.headOf(
    entries.map((entry) => (entry.record ?? entry.event)!),
    entries.map((entry) => entry.value),
    now(),
  );
  const seal = signer.sign(head);
  return { offset: state.end + entries.length, seal, key: SEAL_KEY, value: encodeSeal(seal) };
}

/**
 * The one place this instance writes certificates. Each write states, record by record, the offset
 * it expects to land at: the end of the log as `state` knows it. When the log answers with exactly
 * that offset the records are valid by the rule and are applied to `state` from memory: the happy
 * path costs no read. Otherwise (another writer wrote first, the write failed or timed out) it reads
 * the log from the known end and applies what is there, its own earlier write included if it landed
 * in place. Until such a read succeeds nothing new is stated, so every write is stated on the whole
 * log.
 *
 * A commit resolves with what the log decided for each of its records' requests: the certificate
 * applied for it during the write (written here in place, or read), or nothing, and then the request
 * is for its actor to number again. While this instance has requests out, only its writes move
 * `state` (a follower's tail waits until the actors are idle: src/cluster/node.ts), and an actor
 * resubmits what is still open before the next write takes its group, so every certificate of a
 * request still open is applied during a write that carries that request.
 */
export class LogWriter {
  private readonly commits: Batcher<Submission, Settlement>;
  /** False: `state.end` may be behind the log (a write did not land as stated), so read before writing. */
  private isSynced = false;
  private syncRequested = false;
  /** Why the newest append failed, until one lands: what to tell clients when numbering again does not help. */
  private appendFailure: unknown;

  private readonly observer: WriterObserver | undefined;
  private readonly signer: SealSigner | undefined;
  private readonly sealed: ((seconds: number) => void) | undefined;
  private readonly now: () => Date;

  constructor(
    private readonly ledger: Ledger,
    private readonly state: LogState,
    options: WriterOptions = {},
  ) {
    this.observer = options.observer;
    this.signer = options.signer;
    this.sealed = options.observer?.sealed?.bind(options.observer);
    this.now = options.now ?? (() => new Date());
    this.commits = new Batcher(groupCommit(ledger.writeLimit, (submissions) => this.write(submissions)));
  }

  /**
   * Writes the records (numbered, without offsets) in one append shared with whatever else is
   * waiting, and resolves once the log has decided them, with the certificate each record's request
   * holds now (found in `state` too), or undefined.
   * Rejects when the log could not be read: their fate is unknown until it can.
   */
  commit(records: Submission): Promise<Settlement> {
    return this.commits.add(records);
  }

  /** Resolves once `state` holds everything in the log as of now (a lookup that missed asks this). */
  async sync(): Promise<void> {
    this.syncRequested = true;
    await this.commits.add([]);
  }

  /** The error of the newest append if it failed (and none landed since), else undefined. */
  get lastAppendFailure(): unknown {
    return this.appendFailure;
  }

  /** False while the log may hold records `state` has not read (after `forget`, or a write that did not land as stated). */
  get synced(): boolean {
    return this.isSynced;
  }

  /** The log position may have moved under us (this instance did not own it for a while). */
  forget(): void {
    this.isSynced = false;
  }

  private async write(submissions: Submission[]): Promise<Settlement[]> {
    // Every certificate this write applies, by the request it answers, unless all landed as stated.
    const read: Applied[] = [];
    if (!this.isSynced || this.syncRequested) {
      this.syncRequested = false;
      await this.resync(read);
    }
    const all = submissions.length === 1 ? submissions[0]! : submissions.flat();
    // Actors numbered on the state as it was; a read may have brought records since. Write only what
    // still continues its class, so that a write that lands in place is valid; the rest goes back
    // unwritten, and its actors number it again.
    const records = this.state.continuing(all);
    if (records.length === 0) return this.settle(submissions, read);
    const entries = writeEntries(this.state, records, this.signer, this.now, this.sealed);
    const expected = this.state.end;
    let landed: number | undefined;
    try {
      landed = await this.ledger.append(entries.map(({ key, value }) => ({ key, value })));
      this.appendFailure = undefined;
    } catch (error) {
      // Whether it landed is for the log to say: read it.
      this.appendFailure = error;
    }
    if (landed === expected) {
      const applied = this.state.apply(entries);
      // The usual case: every record written, each the certificate of its own request.
      if (read.length === 0 && applied.length === all.length)
        return submissions.length === 1 ? [applied] : this.split(submissions, applied);
      read.push(...applied);
      return this.settle(submissions, read);
    }
    this.isSynced = false;
    const readTo = await this.resync(read);
    this.observer?.resynced(landed === undefined ? 'failed' : 'landed_elsewhere', {
      stated: expected,
      ...(landed === undefined ? {} : { landed }),
      readTo,
    });
    return this.settle(submissions, read);
  }

  /** The certificates applied, which follow the submissions' order, cut back into submissions. */
  private split(submissions: readonly Submission[], stamped: readonly Applied[]): Settlement[] {
    let at = 0;
    return submissions.map((submission) => stamped.slice(at, (at += submission.length)));
  }

  /**
   * Each submitted record's counterpart among those applied, found by the request it answers: a
   * request's records (an issuance's certificate; an event and its results) in the order applied.
   */
  private settle(submissions: readonly Submission[], applied: readonly Applied[]): Settlement[] {
    const byRequest = new Map<string, Applied[]>();
    for (const entry of applied) {
      const request = (entry.record ?? entry.event.record).request;
      if (request === undefined) continue;
      const answers = byRequest.get(request);
      if (answers === undefined) byRequest.set(request, [entry]);
      else answers.push(entry);
    }
    return submissions.map((submission) => {
      const taken = new Map<string, number>();
      return submission.map((record) => {
        if (record.request === undefined) return undefined;
        const place = taken.get(record.request) ?? 0;
        taken.set(record.request, place + 1);
        return byRequest.get(record.request)?.[place];
      });
    });
  }

  private async resync(into: Applied[]): Promise<number> {
    const { high } = await this.ledger.bounds();
    await this.ledger.read(this.state.end, high, (entries) => {
      for (const certificate of this.state.apply(entries)) into.push(certificate);
    });
    this.state.readTo(high);
    this.isSynced = true;
    return high;
  }
}
