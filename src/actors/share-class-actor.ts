import { CertificateError, logUnavailable } from '../errors.js';
import { certificateId, type Certificate, type IssueRequest } from './certificate.js';
import { CertificateIndex } from './certificate-index.js';
import type { Ledger } from './ledger.js';
import { Mailbox } from './mailbox.js';
import type { ActorObserver } from './observer.js';

export interface ShareClassConfig {
  readonly code: string;
  readonly authorized: number;
}

export interface ActorOptions {
  /** Upper bound on certificates per commit (default 500): even the largest certificates then fit one Kafka write. */
  readonly maxBatch?: number;
  /**
   * How long a batch may wait on the log before its requests, and everything queued behind it, are
   * answered `log_unavailable` (default 5000 ms). The batch itself still settles later: the actor
   * numbers nothing new until it knows whether that write landed.
   */
  readonly ackTimeoutMs?: number;
  readonly now?: () => Date;
  readonly observer?: ActorObserver;
}

interface Waiting {
  readonly request: IssueRequest;
  readonly resolve: (certificate: Certificate) => void;
  readonly reject: (error: CertificateError) => void;
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
  /** False until the index is recovered from the log, and again after a failed commit. */
  readonly ready: boolean;
  readonly mailboxDepth: number;
}

/**
 * The sequencer of one share class. It alone decides numbers for its class, so numbering needs no
 * lock: requests wait in its mailbox, and one drain loop takes everything waiting, checks each
 * request against the shares remaining in arrival order, numbers the accepted ones contiguously,
 * commits them in one ledger append and only then answers. While a commit is in flight the next
 * batch gathers by itself: batches grow with load, and the log round trip is paid once per batch.
 */
export class ShareClassActor {
  readonly code: string;
  readonly authorized: number;
  private readonly ledger: Ledger;
  private readonly maxBatch: number;
  private readonly ackTimeoutMs: number;
  private readonly now: () => Date;
  private readonly observer: ActorObserver | undefined;
  private readonly mailbox = new Mailbox<Waiting>();
  /** The certificates the log confirmed; after a failed commit the log may hold more than this. */
  private readonly index: CertificateIndex;
  /** False means "the log is the truth and we have not read it since it last failed us". */
  private recovered = false;
  private recovering: Promise<void> | undefined;
  private draining = false;
  /** True while a batch has outlived ackTimeoutMs: new requests are refused at once instead of queueing. */
  private stalled = false;
  private closing = false;
  private idle: Array<() => void> = [];

  constructor(shareClass: ShareClassConfig, ledger: Ledger, options: ActorOptions = {}) {
    this.code = shareClass.code;
    this.authorized = shareClass.authorized;
    this.ledger = ledger;
    this.maxBatch = options.maxBatch ?? 500;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    this.now = options.now ?? (() => new Date());
    this.observer = options.observer;
    this.index = new CertificateIndex(this.code);
  }

  /** Reads the class's certificates from the log; issuing before this succeeds triggers it anyway. */
  recover(): Promise<void> {
    if (this.recovered) return Promise.resolve();
    // One read at a time: a probe and a drain asking together must not index the same records twice.
    this.recovering ??= this.readLog().finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  /**
   * The certificate as committed, or undefined if the log confirmed none with this number. While
   * not `ready`, the log may hold a few more than this knows (a write whose acknowledgement was lost).
   */
  find(number: number): Certificate | undefined {
    return this.index.get(number);
  }

  issue(request: IssueRequest): Promise<Certificate> {
    if (this.closing) {
      return Promise.reject(new CertificateError('shutting_down', 'The service is shutting down; retry on another instance or later'));
    }
    if (this.stalled) return Promise.reject(this.notAnswering());
    return new Promise<Certificate>((resolve, reject) => {
      this.mailbox.push({ request, resolve, reject });
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
    const { sharesIssued, count: certificates } = this.index;
    return {
      class: this.code,
      authorized: this.authorized,
      sharesIssued,
      remaining: this.authorized - sharesIssued,
      certificates,
      nextId: certificateId(this.code, certificates + 1),
      ready: this.recovered,
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
    try {
      await this.commit(batch);
    } finally {
      clearTimeout(timer);
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
    if (!this.recovered) {
      try {
        await this.recover();
      } catch (error) {
        this.fail(batch, logUnavailable(error, `recovering ${this.code} certificates`));
        return;
      }
    }

    const issuedAt = this.now().toISOString();
    let { count: lastNumber, sharesIssued } = this.index;
    const accepted: Array<{ waiting: Waiting; certificate: Certificate }> = [];
    const refused: Array<{ waiting: Waiting; remaining: number }> = [];
    for (const waiting of batch.waiting) {
      const { amount, name } = waiting.request;
      const remaining = this.authorized - sharesIssued;
      if (amount > remaining) {
        refused.push({ waiting, remaining });
        continue;
      }
      lastNumber += 1;
      sharesIssued += amount;
      accepted.push({
        waiting,
        certificate: {
          id: certificateId(this.code, lastNumber),
          class: this.code,
          number: lastNumber,
          name,
          amount,
          issuedAt,
          sharesIssued,
        },
      });
    }

    if (accepted.length > 0) {
      const started = performance.now();
      try {
        await this.ledger.append(accepted.map((entry) => entry.certificate));
      } catch (error) {
        // The write may have landed even though we were not told so: re-read the log past what it
        // confirmed before numbering anything again. Refusals in this batch were judged against
        // numbers that may not exist, so they are not final either.
        this.recovered = false;
        this.observer?.commitFailed(this.code);
        this.fail(batch, logUnavailable(error, `committing ${accepted.length} ${this.code} certificates`));
        return;
      }
      this.observer?.batchCommitted(this.code, accepted.length, performance.now() - started);
      for (const { certificate } of accepted) this.index.add(certificate);
    }
    if (batch.answered) return;
    batch.answered = true;
    for (const { waiting, certificate } of accepted) waiting.resolve(certificate);
    for (const { waiting, remaining } of refused) waiting.reject(this.insufficient(waiting.request.amount, remaining));
  }

  private async readLog(): Promise<void> {
    await this.ledger.readSince(this.code, this.index.count, (certificate) => this.index.add(certificate));
    this.recovered = true;
    this.observer?.recovered(this.code);
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
