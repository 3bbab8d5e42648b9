import { randomUUID } from 'node:crypto';
import { CertificateError, logUnavailable } from '../errors.js';
import { certificateId, certificateOf, type Certificate, type CertificateRecord, type IssueRequest, type Issued } from './certificate.js';
import type { LogState } from './log-state.js';
import type { LogWriter } from './log-writer.js';
import { Mailbox } from './mailbox.js';
import type { ActorObserver } from './observer.js';

export interface ShareClassConfig {
  readonly code: string;
  readonly authorized: number;
  /** What paper certificates call the class, e.g. Common Stock (src/paper/face.ts names it when absent). */
  readonly name?: string;
}

export interface ActorOptions {
  /** Upper bound on certificates per commit (default 500): even the largest certificates then fit one Kafka write. */
  readonly maxBatch?: number;
  /**
   * How long a batch may wait on the log before its requests, and everything queued behind it, are
   * answered `log_unavailable` (default 5000 ms).
   */
  readonly ackTimeoutMs?: number;
  /** How many times a request is numbered before it is answered `log_unavailable` (default 5). */
  readonly maxAttempts?: number;
  readonly now?: () => Date;
  readonly observer?: ActorObserver;
}

interface Waiting {
  readonly request: IssueRequest;
  /** Names the request in every record written for it, so a write that landed is recognised as its answer. */
  readonly id: string;
  readonly resolve: (issued: Issued) => void;
  readonly reject: (error: CertificateError) => void;
  /** The valid certificate that answers it, once the log holds one. */
  certificate?: Certificate;
  /** The certificate was issued for an earlier request with the same idempotency key. */
  replayed?: boolean;
}

/** A batch taken from the mailbox; `answered` once its requests got a reply (on time or not). */
interface InFlight {
  readonly waiting: Waiting[];
  answered: boolean;
}

export interface ActorSnapshot {
  readonly class: string;
  readonly authorized: number;
  readonly sharesIssued: number;
  readonly remaining: number;
  readonly certificates: number;
  readonly nextId: string;
  /** False until the log has been read at start. */
  readonly ready: boolean;
  readonly mailboxDepth: number;
}

// Unique per process start, so request ids of two instances or two lives of one never meet.
const PROCESS_TAG = randomUUID().replaceAll('-', '').slice(0, 12);
let requestCounter = 0;
const NO_BATCH: ReadonlyMap<string, never> = new Map<string, never>();

/**
 * The sequencer of one share class. It alone decides numbers for its class on this instance, so
 * numbering needs no lock: requests wait in its mailbox, and one drain loop takes everything
 * waiting, checks each request against the shares remaining in arrival order, numbers the accepted
 * ones contiguously after the class's last certificate in the log, commits them in one write and
 * answers only once the log holds them as certificates. If the write was void (another writer came
 * first, or it failed and did not land in place) the same requests are numbered again after what
 * the log now holds, a bounded number of times. While a commit is in flight the next batch gathers
 * by itself: batches grow with load, and the log round trip is paid once per batch.
 */
export class ShareClassActor {
  readonly code: string;
  readonly authorized: number;
  private readonly maxBatch: number;
  private readonly ackTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly now: () => Date;
  private readonly observer: ActorObserver | undefined;
  private readonly mailbox = new Mailbox<Waiting>();
  /**
   * The requests of the batch being committed, by request id. A new map per batch rather than one
   * map emptied after each: a long-lived map keeps what it held alive past its time (src/slot-set.ts).
   */
  private open: ReadonlyMap<string, Waiting> = NO_BATCH;
  private draining = false;
  /** True while a batch has outlived ackTimeoutMs: new requests are refused at once instead of queueing. */
  private stalled = false;
  private closing = false;
  private idle: Array<() => void> = [];

  constructor(
    shareClass: ShareClassConfig,
    private readonly state: LogState,
    private readonly writer: LogWriter,
    options: ActorOptions = {},
  ) {
    this.code = shareClass.code;
    this.authorized = shareClass.authorized;
    this.maxBatch = options.maxBatch ?? 500;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.now = options.now ?? (() => new Date());
    this.observer = options.observer;
    state.onCertificate(this.code, (record) => {
      const waiting = record.request === undefined ? undefined : this.open.get(record.request);
      if (waiting !== undefined) waiting.certificate = certificateOf(record);
    });
  }

  /** The certificate as the log holds it, or undefined if this instance has read none with this number. */
  find(number: number): Certificate | undefined {
    return this.state.index(this.code)!.get(number);
  }

  issue(request: IssueRequest): Promise<Issued> {
    if (this.closing) {
      return Promise.reject(new CertificateError('shutting_down', 'The service is shutting down; retry on another instance or later'));
    }
    if (this.stalled) return Promise.reject(this.notAnswering());
    return new Promise<Issued>((resolve, reject) => {
      requestCounter += 1;
      this.mailbox.push({ request, id: `${PROCESS_TAG}-${requestCounter.toString(36)}`, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  /** Stops taking requests and resolves once every request already taken has been answered. */
  close(): Promise<void> {
    this.closing = true;
    if (!this.draining && this.mailbox.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  snapshot(): ActorSnapshot {
    const { sharesIssued, count: certificates } = this.state.index(this.code)!;
    return {
      class: this.code,
      authorized: this.authorized,
      sharesIssued,
      remaining: this.authorized - sharesIssued,
      certificates,
      nextId: certificateId(this.code, certificates + 1),
      ready: this.state.loaded,
      mailboxDepth: this.mailbox.size,
    };
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.mailbox.size > 0) {
        await this.process(this.mailbox.take(this.maxBatch));
      }
    } finally {
      this.draining = false;
      if (this.closing) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async process(waiting: Waiting[]): Promise<void> {
    const batch: InFlight = { waiting, answered: false };
    // One timer per batch, not per request: cheap at any load.
    const timer = setTimeout(() => this.stall(batch), this.ackTimeoutMs);
    this.open = new Map(waiting.map((entry) => [entry.id, entry]));
    try {
      await this.commit(batch);
    } finally {
      clearTimeout(timer);
      this.open = NO_BATCH;
      this.stalled = false;
    }
  }

  /** The log has not answered in time: answer this batch and everything queued behind it now. */
  private stall(batch: InFlight): void {
    this.stalled = true;
    const error = this.notAnswering();
    this.fail(batch, error);
    for (const queued of this.mailbox.take(Infinity)) queued.reject(error);
  }

  private fail(batch: InFlight, error: CertificateError): void {
    if (batch.answered) return;
    batch.answered = true;
    for (const waiting of batch.waiting) waiting.reject(error);
  }

  private async commit(batch: InFlight): Promise<void> {
    let refused: Array<{ waiting: Waiting; remaining: number }> = [];
    for (let attempt = 1; !batch.answered; attempt += 1) {
      const numbered = this.number(batch.waiting.filter((waiting) => waiting.certificate === undefined));
      refused = numbered.refused;
      if (numbered.accepted.length === 0) break;
      if (attempt > this.maxAttempts) {
        // Appends that failed are read back and numbered again like lost races; say which it was.
        const failure = this.writer.lastAppendFailure;
        this.fail(
          batch,
          failure === undefined
            ? new CertificateError(
                'log_unavailable',
                `Other writers took the numbers ${this.code} requests were given ${this.maxAttempts} times in a row; retry later`,
              )
            : logUnavailable(failure, `writing ${numbered.accepted.length} ${this.code} certificates, ${this.maxAttempts} attempts`),
        );
        return;
      }
      if (attempt > 1) this.observer?.renumbered(this.code, numbered.accepted.length);
      const started = performance.now();
      try {
        await this.writer.commit(numbered.accepted);
      } catch (error) {
        // Whether the write landed is unknown until the log can be read; a landing is recognised then.
        this.observer?.commitFailed(this.code);
        this.fail(batch, logUnavailable(error, `committing ${numbered.accepted.length} ${this.code} certificates`));
        return;
      }
      const settled = numbered.accepted.filter((record) => this.open.get(record.request!)?.certificate !== undefined).length;
      if (settled > 0) this.observer?.batchCommitted(this.code, settled, performance.now() - started);
      // The usual case: everything landed and nothing was refused, so there is nothing to number again.
      if (settled === numbered.accepted.length && refused.length === 0) break;
    }
    if (batch.answered) return;
    // Every accepted request now holds a valid certificate, so the refusals were judged on real numbers.
    batch.answered = true;
    for (const waiting of batch.waiting) {
      if (waiting.certificate !== undefined) waiting.resolve({ certificate: waiting.certificate, replayed: waiting.replayed === true });
    }
    for (const { waiting, remaining } of refused) waiting.reject(this.insufficient(waiting.request.amount, remaining));
  }

  /**
   * Numbers the requests, in order, after the class's newest certificate; refuses those the remaining
   * shares cannot cover. A request whose idempotency key the log has answered meanwhile (another
   * instance, an earlier life of this one, a write whose answer was lost) is settled with that
   * certificate instead: it takes no number and no shares.
   */
  private number(waiting: readonly Waiting[]): {
    accepted: CertificateRecord[];
    refused: Array<{ waiting: Waiting; remaining: number }>;
  } {
    const now = this.now();
    const issuedAt = now.toISOString();
    const index = this.state.index(this.code)!;
    let { count: lastNumber, sharesIssued } = index;
    const accepted: CertificateRecord[] = [];
    const refused: Array<{ waiting: Waiting; remaining: number }> = [];
    for (const entry of waiting) {
      const { amount, name, idempotencyKey } = entry.request;
      const earlier = idempotencyKey === undefined ? undefined : this.state.recall(idempotencyKey, now.getTime());
      if (earlier !== undefined) {
        entry.certificate = earlier;
        entry.replayed = true;
        continue;
      }
      const remaining = this.authorized - sharesIssued;
      if (amount > remaining) {
        refused.push({ waiting: entry, remaining });
        continue;
      }
      lastNumber += 1;
      sharesIssued += amount;
      accepted.push({
        id: certificateId(this.code, lastNumber),
        class: this.code,
        number: lastNumber,
        name,
        amount,
        issuedAt,
        sharesIssued,
        request: entry.id,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
    }
    return { accepted, refused };
  }

  private notAnswering(): CertificateError {
    return new CertificateError('log_unavailable', `The certificate log has not answered within ${this.ackTimeoutMs} ms; retry later`);
  }

  private insufficient(requested: number, remaining: number): CertificateError {
    return new CertificateError(
      'insufficient_shares',
      `Class ${this.code} has ${remaining} authorized shares left; ${requested} were requested`,
      { details: { class: this.code, requested, remaining } },
    );
  }
}
