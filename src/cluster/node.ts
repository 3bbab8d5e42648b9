import { Batcher } from '../actors/batcher.js';
import type { LogWriter } from '../actors/log-writer.js';
import type { Sequencers } from '../actors/sequencers.js';
import type { ActorSnapshot } from '../actors/share-class-actor.js';
import type { Certificate, IssueRequest, Issued } from '../core/certificate.js';
import { CertificateError, isCertificateError, logUnavailable } from '../core/errors.js';
import type { Ledger, LogBounds, LogFollower } from '../core/ledger.js';
import type { EventDone, EventRequest, LegendTemplate, LoggedEvent } from '../core/events.js';
import { certificatePage, type CertificatePage, type PageQuery } from '../core/certificate-page.js';
import type { Change, ClassFigures, LogState, Standing, VoidNote } from '../core/log-state.js';
import type { Receipts } from '../core/receipts.js';
import type { Proof, SignedHead } from '../core/seal.js';
import { unknownClass } from '../core/share-class.js';
import type { Candidate, Role } from './election.js';
import { isNotWriter, type Forwarder } from './forwarder.js';
import type { ClusterSettings } from './settings.js';

export type NodeRole = Role | 'unknown';

/** The group membership as the node needs it: src/cluster/election.ts over Kafka. */
export interface Election {
  start(): Promise<void>;
  stop(): Promise<void>;
  writerUrl(): Promise<string | undefined>;
}

export interface NodeObserver {
  /** The role changed; a follower's is told once it knows the writer's URL (or learned that none is known). */
  roleChanged(role: NodeRole, writerUrl: string | undefined): void;
  /** The election group's generation moved (a rebalance). */
  generation(generation: number): void;
  /** How far the follower's tail is behind the log's end (0 while this instance writes). */
  tailLag(records: number): void;
}

/** How long a lookup past the tail waits for the tail before reading the log itself. */
const TAIL_WAIT_MS = 1000;

/** Snapshots of the log state on this instance's disk (src/state/snapshots.ts). */
export interface StateSnapshots {
  /** Restores the state if the snapshot is of this log; resolves with where the log must be read from. */
  restore(bounds: LogBounds): Promise<number>;
  /** Takes snapshots from now on, as the state moves. */
  start(): void;
}

export interface NodeParts {
  readonly ledger: Ledger;
  readonly state: LogState;
  readonly writer: LogWriter;
  readonly sequencers: Sequencers;
  readonly forwarder: Forwarder;
  readonly snapshots?: StateSnapshots;
  /** Proofs of signed certificates, read from the log when asked for. */
  readonly receipts: Receipts;
}

export interface NodeStatus {
  readonly role: NodeRole;
  readonly generation: number | undefined;
  readonly writerUrl: string | undefined;
  readonly logEnd: number;
  readonly tailLag: number;
  readonly voidRecords: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One instance of the service among any number on one topic. The elected writer issues through its
 * actors; every other instance forwards POSTs to it and follows the log into its own state, which
 * serves lookups and takes over on failover without reading the topic again. Safety never rests on
 * the role: a writer that no longer holds the seat (paused, partitioned) writes only what the log's
 * rule will void, so a role is dropped as soon as the group says so, not fenced beforehand.
 */
export class ClusterNode {
  readonly classes: readonly string[];
  private currentRole: NodeRole = 'unknown';
  private writingSince: number | undefined;
  /** The writer's URL as last asked of the group, while a follower; the writer is itself. */
  private knownWriter: string | undefined;
  /** Counts role assignments: an answer of the group asked for before the latest one is stale. */
  private assignments = 0;
  private tail: LogFollower | undefined;
  private lag = 0;
  private generationNow: number | undefined;
  private roleChange: Array<() => void> = [];
  /**
   * Lookups that missed wait for a catch-up begun after them: one that began earlier read the log's
   * end before their certificate may have been acknowledged, and would deny it.
   */
  private readonly catchUps = new Batcher<void, void>({
    handle: async (lookups) => {
      await this.catchUp();
      return lookups;
    },
    maxWeight: Number.POSITIVE_INFINITY,
  });
  private election: Election | undefined;
  private stopped = false;
  /** The tail waits for the actors to finish what they took as writer. */
  private awaitingIdle = false;

  constructor(
    private readonly parts: NodeParts,
    private readonly settings: ClusterSettings,
    private readonly observer?: NodeObserver,
  ) {
    this.classes = parts.sequencers.classes;
  }

  get role(): NodeRole {
    return this.currentRole;
  }

  /** What this instance tells the group when it joins (src/cluster/election.ts). */
  candidate(): Candidate {
    return { url: this.settings.advertisedUrl, writingSince: this.writingSince, end: this.parts.state.end };
  }

  /** Reads the log into the state (from a snapshot's end when there is one of it), then follows it and joins the election. */
  async start(election: Election): Promise<void> {
    const { ledger, state, snapshots } = this.parts;
    const bounds = await ledger.bounds();
    const from = snapshots === undefined ? bounds.low : await snapshots.restore(bounds);
    await ledger.read(from, bounds.high, (records) => void state.apply(records));
    state.readTo(bounds.high);
    state.loaded = true;
    snapshots?.start();
    this.election = election;
    this.follow();
    await election.start();
  }

  /** Leaves the group (the others elect at once) and stops following. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.election?.stop();
    await this.tail?.stop();
    this.tail = undefined;
    this.parts.forwarder.close();
  }

  /** The group assigned a role (src/cluster/election.ts calls this after every rebalance). */
  assigned(role: Role): void {
    const previous = this.currentRole;
    // The role first: asking the group who writes (below) is for followers only.
    this.currentRole = role;
    this.assignments += 1;
    this.knownWriter = undefined;
    if (role === 'writer') {
      if (previous !== 'writer') {
        this.writingSince = Date.now();
        // Others may have written while this instance followed: read to the end before stating an offset.
        this.parts.writer.forget();
        void this.tail?.stop();
        this.tail = undefined;
        this.lag = 0;
        this.observer?.tailLag(0);
        this.observer?.roleChanged(role, this.settings.advertisedUrl);
      }
    } else {
      this.writingSince = undefined;
      this.follow();
      const asked = this.assignments;
      void this.writerUrl().then((writerUrl) => {
        if (previous !== role && asked === this.assignments) this.observer?.roleChanged(role, writerUrl);
      });
    }
    for (const wake of this.roleChange.splice(0)) wake();
  }

  /** The election group's generation moved (src/cluster/election.ts tells each new one). */
  generationMoved(generation: number): void {
    this.generationNow = generation;
    this.observer?.generation(generation);
  }

  issue(request: IssueRequest): Promise<Issued> {
    // The writer's usual case without an async frame of its own: this runs on every request.
    if (this.currentRole === 'writer') return this.parts.sequencers.issue(request);
    return this.issueElsewhere(request);
  }

  /** Forwards to the writer, waiting up to writerWaitMs for one (or for this instance to become it). */
  private async issueElsewhere(request: IssueRequest): Promise<Issued> {
    if (!this.classes.includes(request.class)) throw unknownClass(this.classes, request.class);
    // A retry whose certificate this instance has read is answered here, even while no writer is known.
    const replayed = this.parts.sequencers.replayed(request);
    if (replayed !== undefined) return replayed;
    return this.atWriter(
      () => this.parts.sequencers.issue(request),
      (writer) => this.parts.forwarder.forward(writer, request),
    );
  }

  /** An event (src/core/events.ts): numbered here while this instance writes, else forwarded to the writer. */
  act(request: EventRequest): Promise<EventDone> {
    if (this.currentRole === 'writer') return this.parts.sequencers.act(request);
    if (!this.classes.includes(request.class)) return Promise.reject(unknownClass(this.classes, request.class));
    return this.atWriter(
      () => this.parts.sequencers.act(request),
      (writer) => this.parts.forwarder.act(writer, request),
    );
  }

  /** Runs `here` once this instance writes, or `forward`s to the writer, waiting up to writerWaitMs for one. */
  private async atWriter<T>(here: () => Promise<T>, forward: (writerUrl: string) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.settings.writerWaitMs;
    for (;;) {
      if (this.currentRole === 'writer') return here();
      const writer = this.currentRole === 'follower' ? await this.writerUrl() : undefined;
      if (writer !== undefined && writer !== this.settings.advertisedUrl) {
        try {
          return await forward(writer);
        } catch (error) {
          if (!isNotWriter(error)) throw error;
          // Only the writer that refused is forgotten: the group may have named another meanwhile.
          if (this.knownWriter === writer) this.knownWriter = undefined;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new CertificateError('no_writer', `No writer was elected within ${this.settings.writerWaitMs} ms; nothing was issued`);
      }
      await Promise.race([new Promise<void>((resolve) => this.roleChange.push(resolve)), sleep(Math.min(left, 250))]);
    }
  }

  /** An event a follower forwarded; refused unless this instance is the writer. */
  actForwarded(request: EventRequest): Promise<EventDone> {
    if (this.currentRole !== 'writer') {
      return Promise.reject(new CertificateError('not_writer', `${this.settings.advertisedUrl} is not the writer; nothing was done`));
    }
    return this.parts.sequencers.act(request);
  }

  standing(certificate: Certificate): Standing {
    return this.parts.state.standing(certificate);
  }

  figures(shareClass: string): ClassFigures | undefined {
    return this.parts.state.figures(shareClass);
  }

  heldBy(holder: string): Certificate[] {
    return this.parts.state.heldBy(holder);
  }

  events(): readonly LoggedEvent[] {
    return this.parts.state.allEvents();
  }

  /** Requests a follower forwarded; refused whole unless this instance is the writer. */
  issueForwarded(requests: readonly IssueRequest[]): Promise<Array<Issued | CertificateError>> {
    if (this.currentRole !== 'writer') {
      return Promise.reject(new CertificateError('not_writer', `${this.settings.advertisedUrl} is not the writer; nothing was issued`));
    }
    return Promise.all(
      requests.map((request) =>
        this.issue(request).catch((error: unknown) =>
          isCertificateError(error) ? error : new CertificateError('internal', 'Internal error', { cause: error }),
        ),
      ),
    );
  }

  /**
   * The certificate from this instance's state; on a miss, the state is first brought to the log's
   * end as of a moment after the lookup began, so a certificate any instance acknowledged before the
   * lookup is found even if this one had not read it yet. When the log cannot be read, the answer
   * is the retryable `log_unavailable`, never a denial.
   */
  async find(shareClass: string, number: number): Promise<Certificate | undefined> {
    const found = this.parts.sequencers.find(shareClass, number);
    if (found !== undefined || !this.classes.includes(shareClass)) return found;
    try {
      await this.catchUps.add();
    } catch (error) {
      throw logUnavailable(error, `reading the log for ${shareClass}-${number}`);
    }
    return this.parts.sequencers.find(shareClass, number);
  }

  snapshots(): ActorSnapshot[] {
    return this.parts.sequencers.snapshots();
  }

  /** The certificate's proof from its write in the log; `log_unavailable` when the log cannot be read. */
  async proofOf(certificate: Certificate): Promise<Proof | undefined> {
    try {
      return await this.parts.receipts.proofOf(certificate);
    } catch (error) {
      throw logUnavailable(error, `reading ${certificate.id}'s signed write`);
    }
  }

  head(): SignedHead | undefined {
    return this.parts.state.head;
  }

  page(shareClass: string, query: PageQuery): CertificatePage | undefined {
    const { state } = this.parts;
    const index = state.index(shareClass);
    return index === undefined ? undefined : certificatePage(index, query, (code, number) => state.certificate(code, number));
  }

  /** What the state applies, as the edge names it: certificates as the index holds them (no request or principal), events as logged. */
  subscribe(listener: (changes: readonly Change[]) => void): () => void {
    const { state } = this.parts;
    return state.subscribe((applied) =>
      listener(
        applied.map(({ record, event }) =>
          event === undefined
            ? { kind: 'certificate', certificate: state.certificate(record.class, record.number)! }
            : { kind: 'lifecycle', event },
        ),
      ),
    );
  }

  voids(): { readonly total: number; readonly recent: readonly VoidNote[] } {
    return { total: this.parts.state.voidRecords, recent: this.parts.state.recentVoids() };
  }

  legends(): LegendTemplate[] {
    return this.parts.state.legends();
  }

  status(): NodeStatus {
    return {
      role: this.currentRole,
      generation: this.generationNow,
      writerUrl: this.writerUrlNow(),
      logEnd: this.parts.state.end,
      tailLag: this.tail === undefined ? 0 : this.lag,
      voidRecords: this.parts.state.voidRecords,
    };
  }

  /** The writer's URL as far as this instance knows it now, without asking. */
  private writerUrlNow(): string | undefined {
    return this.currentRole === 'writer' ? this.settings.advertisedUrl : this.knownWriter;
  }

  /** The writer's URL, asked of the group when not known (a follower's question: the writer knows). */
  private async writerUrl(): Promise<string | undefined> {
    if (this.knownWriter === undefined && this.election !== undefined) {
      const asked = this.assignments;
      const answer = await this.election.writerUrl().catch(() => undefined);
      // A role assigned while the group was asked decides instead: the answer may name the writer
      // before it (a writer then reported no URL of its own, and a follower a writer long gone).
      if (asked === this.assignments) this.knownWriter = answer;
    }
    return this.writerUrlNow();
  }

  /** Brings the state to the log's end as of now: the tail's way if it gets there soon, else by reading. */
  private async catchUp(): Promise<void> {
    const { ledger, state, writer } = this.parts;
    const { high } = await ledger.bounds();
    const deadline = Date.now() + TAIL_WAIT_MS;
    while (this.tail !== undefined && state.end < high && Date.now() < deadline) await sleep(10);
    if (state.end < high) await writer.sync();
  }

  private follow(): void {
    if (this.tail !== undefined || this.stopped || this.currentRole === 'writer' || this.awaitingIdle) return;
    const { sequencers } = this.parts;
    if (!sequencers.idle) {
      // While the actors still commit what they took as writer, only their writes may move the state
      // (src/actors/log-writer.ts): the tail starts once they are idle.
      this.awaitingIdle = true;
      void sequencers.whenIdle().then(() => {
        this.awaitingIdle = false;
        this.follow();
      });
      return;
    }
    const { ledger, state } = this.parts;
    const tail = ledger.follow(
      state.end,
      (records, highWatermark) => {
        state.apply(records);
        this.lag = Math.max(0, highWatermark - state.end);
        this.observer?.tailLag(this.lag);
      },
      () => {
        // Follow again from where the state ends, unless this instance became the writer meanwhile.
        if (this.tail !== tail) return;
        this.tail = undefined;
        setTimeout(() => {
          if (this.currentRole !== 'writer') this.follow();
        }, 1000).unref();
      },
    );
    this.tail = tail;
  }
}
