import { randomUUID } from 'node:crypto';
import { certificateId, certificateOf, parseCertificateId, type Certificate, type IssueRequest, type Issued } from '../core/certificate.js';
import type { EventDone, EventRequest, LoggedEvent } from '../core/events.js';
import { CertificateError, logUnavailable } from '../core/errors.js';
import type { LogState } from '../core/log-state.js';
import { numberBatch, type ClassRequest } from '../core/numbering.js';
import type { ShareClassConfig } from '../core/share-class.js';
import { Batcher, type BatchTicket } from './batcher.js';
import type { LogWriter } from './log-writer.js';
import type { ActorObserver } from './observer.js';

/** An actor's limits, in one place. */
export const ACTOR_LIMITS = {
  /** Certificates per commit: even the largest certificates then fit one Kafka write. */
  maxBatch: 500,
  /** How many times a request is numbered before it is answered `log_unavailable`. */
  maxAttempts: 5,
  /** Fewer requests waiting than this make a small batch, worth a few turns of the event loop for company (`gatherFor`). */
  company: 16,
  /** Turns of the event loop a small batch waits in all before it is taken anyway. */
  companyTurns: 4,
} as const;

/**
 * Whether a batch with `waiting` requests waits one more turn of the event loop (setImmediate)
 * before it is taken: while fewer than `company` wait, up to `turns` turns.
 *
 * Under keep-alive load from ~20 clients the requests otherwise fall into two groups that take
 * turns: one in the write, the other waiting for it. When the write returns its clients are answered
 * and the waiting group leaves at once, before those clients' next requests arrive, so each write
 * carries about half the clients (~9.7 certificates a write at 20). Waiting a few turns lets the
 * answered clients' next requests join it: the groups merge, writes carry ~17, and the costs paid
 * once a write (a produce: ~0.15 ms of this process's CPU and ~0.3 ms of the broker's; a signature
 * when signed) are shared by twice as many certificates. A turn of a busy loop is a round of other
 * work (requests read, answers sent), so the wait leaves no CPU idle; an idle loop turns in
 * microseconds, so a lone request waits almost nothing. docs/benchmark.md, "Batches wait for company".
 */
export function gatherFor(company: number, turns: number): (turn: number, waiting: Iterable<unknown>) => boolean {
  return (turn, waiting) => {
    if (turn >= turns) return false;
    let count = 0;
    for (const iterator = waiting[Symbol.iterator](); count < company && !iterator.next().done;) count += 1;
    return count < company;
  };
}

export interface ActorOptions {
  /**
   * How long a batch may wait on the log before its requests, and everything queued behind it, are
   * answered `log_unavailable` (COMMIT_TIMEOUT_MS).
   */
  readonly ackTimeoutMs: number;
  /** The clock certificates are issued by. */
  readonly now: () => Date;
  readonly observer?: ActorObserver;
  /** Requests waiting in the mailbox at most (MAILBOX_LIMIT); past it, `503 overloaded`. Unbounded when absent. */
  readonly maxWaiting?: number;
  /** Lower limits than ACTOR_LIMITS, for tests that try small batches and few attempts. */
  readonly maxBatch?: number;
  readonly maxAttempts?: number;
  /** Fewer requests than ACTOR_LIMITS.company to wait for (1: a batch is taken at once), for tests that count batches. */
  readonly company?: number;
}

export interface ActorSnapshot {
  readonly class: string;
  readonly authorized: number;
  readonly sharesIssued: number;
  /** Shares on outstanding certificates; `remaining` is what the authorized shares leave beyond them. */
  readonly outstanding: number;
  readonly remaining: number;
  readonly certificates: number;
  readonly nextId: string;
  /** False until the log has been read at start. */
  readonly ready: boolean;
  readonly mailboxDepth: number;
}

// Unique per process start, so request ids of two instances or two lives of one never meet.
const PROCESS_TAG = randomUUID().replaceAll('-', '').slice(0, 12);
/** Requests taken into batches by this process so far: a request's id is its count, for all its attempts. */
let requestCounter = 0;

type Answer = Issued | EventDone | CertificateError;

/**
 * The sequencer of one share class. It alone decides numbers for its class on this instance, so
 * numbering needs no lock: requests wait in its mailbox, and each batch taken from it is numbered
 * (src/core/numbering.ts) contiguously after the class's last certificate in the log, in arrival
 * order against the shares remaining, committed in one write, and answered only once the log holds
 * the certificates. If the write was void (another writer came first, or it failed and did not land
 * in place) the requests still open are numbered again after what the log now holds, a bounded
 * number of times. While a commit is in flight the next batch gathers by itself: batches grow with
 * load, and the log round trip is paid once per batch.
 */
export class ShareClassActor {
  readonly code: string;
  readonly authorized: number;
  private readonly maxAttempts: number;
  private readonly mailbox: Batcher<ClassRequest, Issued | EventDone>;

  constructor(
    private readonly shareClass: ShareClassConfig,
    private readonly state: LogState,
    private readonly writer: LogWriter,
    private readonly options: ActorOptions,
  ) {
    this.code = shareClass.code;
    this.authorized = shareClass.authorized;
    this.maxAttempts = options.maxAttempts ?? ACTOR_LIMITS.maxAttempts;
    this.mailbox = new Batcher<ClassRequest, Issued | EventDone>({
      handle: (batch, ticket) => this.commit(batch, ticket),
      maxWeight: options.maxBatch ?? ACTOR_LIMITS.maxBatch,
      deadline: { ms: options.ackTimeoutMs, error: () => this.notAnswering() },
      gather: gatherFor(options.company ?? ACTOR_LIMITS.company, ACTOR_LIMITS.companyTurns),
      ...(options.maxWaiting === undefined
        ? {}
        : { bound: { items: options.maxWaiting, error: () => this.overloaded(options.maxWaiting!) } }),
    });
  }

  /** The certificate as the log holds it, or undefined if this instance has read none with this number. */
  find(number: number): Certificate | undefined {
    return this.state.index(this.code)!.get(number);
  }

  issue(request: IssueRequest): Promise<Issued> {
    return this.mailbox.add(request) as Promise<Issued>;
  }

  /** An event on this class: numbered in turn with the issuances, so its results take the class's next numbers. */
  act(request: EventRequest): Promise<EventDone> {
    return this.mailbox.add(request) as Promise<EventDone>;
  }

  /** True while no request waits and no batch is being committed. */
  get idle(): boolean {
    return this.mailbox.idle;
  }

  /** Resolves once no request waits and no batch is being committed. */
  whenIdle(): Promise<void> {
    return this.mailbox.whenIdle();
  }

  /** Stops taking requests and resolves once every request already taken has been answered. */
  close(): Promise<void> {
    return this.mailbox.close(
      () => new CertificateError('shutting_down', 'The service is shutting down; retry on another instance or later'),
    );
  }

  snapshot(): ActorSnapshot {
    const { sharesIssued, count: certificates } = this.state.index(this.code)!;
    const authorized = this.state.authorizedOf(this.code) ?? this.authorized;
    const outstanding = this.state.outstandingOf(this.code);
    return {
      class: this.code,
      authorized,
      sharesIssued,
      outstanding,
      remaining: authorized - outstanding,
      certificates,
      nextId: certificateId(this.code, certificates + 1),
      ready: this.state.loaded,
      mailboxDepth: this.mailbox.waiting,
    };
  }

  /** One batch from the mailbox: numbered, committed, numbered again while the log voids its writes. */
  private async commit(batch: readonly ClassRequest[], ticket: BatchTicket): Promise<Answer[]> {
    // Every record written for the request at `position` names it by the same id, whatever the attempt.
    const first = requestCounter + 1;
    requestCounter += batch.length;
    const answers = new Array<Answer | undefined>(batch.length);
    // Positions in `batch` of the requests not yet settled.
    let open = batch.map((_, position) => position);
    let refused: Array<{ readonly position: number; readonly remaining: number }> = [];
    let rejected: Array<{ readonly position: number; readonly error: CertificateError }> = [];
    for (let attempt = 1; !ticket.expired; attempt += 1) {
      // A refusal or a replay is answered from the state: after a takeover it must first hold the whole log.
      if (!this.writer.synced) {
        try {
          await this.writer.sync();
        } catch (error) {
          return this.fill(answers, logUnavailable(error, `reading the log before numbering ${this.code} requests`));
        }
        // Answered on its deadline while it read: a write now would land after its clients were told it did not.
        if (ticket.expired) break;
      }
      const attempted = open;
      const numbered = numberBatch(
        this.state,
        this.shareClass,
        attempt === 1 ? batch : attempted.map((position) => batch[position]!),
        (position) => `${PROCESS_TAG}-${(first + attempted[position]!).toString(36)}`,
        this.options.now(),
      );
      for (const replay of numbered.replayed) {
        answers[open[replay.position]!] =
          'certificate' in replay ? { certificate: replay.certificate, replayed: true } : this.done(replay.event, true);
      }
      // Like `refused`, a rejection may rest on an earlier request of the batch (the certificate it takes): answered once that one holds.
      rejected = numbered.rejected.map(({ position, error }) => ({ position: open[position]!, error }));
      refused = numbered.refused.map(({ position, remaining }) => ({ position: open[position]!, remaining }));
      if (numbered.records.length === 0) break;
      if (attempt > this.maxAttempts) return this.fill(answers, this.exhausted(numbered.records.length));
      if (attempt > 1) this.options.observer?.renumbered(this.code, numbered.records.length);
      const started = performance.now();
      let settlement;
      try {
        settlement = await this.writer.commit(numbered.records);
      } catch (error) {
        // Whether the write landed is unknown until the log can be read; a landing is recognised then.
        this.options.observer?.commitFailed(this.code);
        return this.fill(answers, logUnavailable(error, `committing ${numbered.records.length} ${this.code} certificates`));
      }
      let settled = 0;
      numbered.positions.forEach((position, index) => {
        const applied = settlement[index];
        if (applied === undefined) return;
        settled += 1;
        // An event is answered once its results are applied with it: the event, as the log holds it, says which.
        if (applied.event !== undefined) return void (answers[open[position]!] = this.done(applied.event, false));
        if (applied.record.origin !== undefined) return;
        const certificate = certificateOf(applied.record);
        answers[open[position]!] =
          applied.proof === undefined ? { certificate, replayed: false } : { certificate, replayed: false, proof: applied.proof };
      });
      if (settled > 0) this.options.observer?.batchCommitted(this.code, settled, performance.now() - started);
      // The usual case: everything landed and nothing was refused, so there is nothing to number again.
      if (settled === numbered.records.length && refused.length === 0 && rejected.length === 0) break;
      open = open.filter((position) => answers[position] === undefined);
    }
    // Every accepted request now holds a valid certificate, so the refusals were judged on real numbers.
    for (const { position, error } of rejected) answers[position] = error;
    for (const { position, remaining } of refused)
      answers[position] = this.insufficient((batch[position] as IssueRequest).amount, remaining);
    // Only a batch past its deadline (answered by the mailbox already) can leave a request open here.
    return this.fill(answers, this.notAnswering());
  }

  /** An event's answer: it, and the certificates it issued as the log holds them. */
  private done(event: LoggedEvent, replayed: boolean): EventDone {
    const results = (event.record.results ?? []).map((id) => this.find(parseCertificateId(id)!.number)!);
    return { event, results, replayed };
  }

  /** The answers, with `error` for every request still open. */
  private fill(answers: Array<Answer | undefined>, error: CertificateError): Answer[] {
    for (let position = 0; position < answers.length; position += 1) answers[position] ??= error;
    return answers as Answer[];
  }

  /** Numbered `maxAttempts` times and still void: say whether the log failed or other writers kept winning. */
  private exhausted(requests: number): CertificateError {
    // Appends that failed are read back and numbered again like lost races; say which it was.
    const failure = this.writer.lastAppendFailure;
    return failure === undefined
      ? new CertificateError(
          'log_unavailable',
          `Other writers took the numbers ${this.code} requests were given ${this.maxAttempts} times in a row; retry later`,
        )
      : logUnavailable(failure, `writing ${requests} ${this.code} certificates, ${this.maxAttempts} attempts`);
  }

  private notAnswering(): CertificateError {
    return new CertificateError(
      'log_unavailable',
      `The certificate log has not answered within ${this.options.ackTimeoutMs} ms; retry later`,
    );
  }

  private overloaded(limit: number): CertificateError {
    return new CertificateError(
      'overloaded',
      `${limit} ${this.code} requests are already waiting to be numbered (MAILBOX_LIMIT); nothing was issued, retry later`,
    );
  }

  private insufficient(requested: number, remaining: number): CertificateError {
    return new CertificateError(
      'insufficient_shares',
      `Class ${this.code} has ${remaining} authorized shares left; ${requested} were requested`,
      { details: { class: this.code, requested, remaining } },
    );
  }
}
