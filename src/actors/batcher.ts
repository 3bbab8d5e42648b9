import { Mailbox } from './mailbox.js';

/** What a batch's handler may look at while it works: whether its answers still reach anyone. */
export interface BatchTicket {
  /** True once the batch outlived its deadline and its items were answered with the deadline's error. */
  readonly expired: boolean;
}

export interface BatcherOptions<T, R> {
  /**
   * Handles one batch and resolves with one answer per item, in order; an answer that is an Error
   * rejects its item. A rejection of the whole call rejects every item of the batch.
   */
  readonly handle: (items: T[], ticket: BatchTicket) => Promise<ReadonlyArray<R | Error>>;
  /** A batch carries whole items up to this weight, and at least one item. */
  readonly maxWeight: number;
  /** An item's weight (default 1: `maxWeight` is then a count). */
  readonly weigh?: (item: T) => number;
  /** Batches handled at once (default 1); the next one gathers while they are out. */
  readonly maxInFlight?: number;
  /**
   * Asked before a batch is taken, with the turns of the event loop waited so far and what waits:
   * true waits one more turn (setImmediate). Without it a batch is taken at once.
   */
  readonly gather?: (turns: number, waiting: Iterable<T>) => boolean;
  /**
   * A batch unanswered after `ms` is answered with `error()` at once, with every item waiting behind
   * it; until the batch returns, new items are refused with the same error instead of queueing.
   */
  readonly deadline?: { readonly ms: number; readonly error: () => Error };
  /**
   * At most `items` wait for a batch; one more is refused with `error()` at once, and nothing of it
   * is kept: a queue that grows without bound only turns overload into timeouts and memory.
   */
  readonly bound?: { readonly items: number; readonly error: () => Error };
}

interface Entry<T, R> {
  readonly item: T;
  readonly weight: number;
  readonly resolve: (answer: R) => void;
  readonly reject: (error: unknown) => void;
}

const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The one way this service gathers work while earlier work is out: the actor's mailbox, the group
 * commit, the forwarder. Items added while a batch is out wait and leave together in the next one,
 * so batches grow with load and the expensive step (a log write, an HTTP call) is paid once per
 * batch; nothing waits on a timer. A batch is taken as soon as one can go, after the turns `gather`
 * asks for.
 */
export class Batcher<T, R> {
  private readonly queue = new Mailbox<Entry<T, R>>();
  private readonly maxInFlight: number;
  private inFlight = 0;
  private gathering = false;
  /** Why new items are refused: the batcher was closed, or a batch outlived its deadline. */
  private refusal: (() => Error) | undefined;
  private stalledBy: BatchTicket | undefined;
  private closing = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: BatcherOptions<T, R>) {
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  /** Items waiting for a batch. */
  get waiting(): number {
    return this.queue.size;
  }

  /** True while nothing waits and no batch is out. */
  get idle(): boolean {
    return this.inFlight === 0 && this.queue.size === 0 && !this.gathering;
  }

  add(item: T): Promise<R> {
    if (this.refusal !== undefined) return Promise.reject(this.refusal());
    const { bound } = this.options;
    if (bound !== undefined && this.queue.size >= bound.items) return Promise.reject(bound.error());
    const weight = this.options.weigh === undefined ? 1 : this.options.weigh(item);
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, weight, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once nothing waits and no batch is out. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuses new items with `refusal()` from now on, and resolves once every item already taken is answered. */
  close(refusal: () => Error): Promise<void> {
    this.closing = true;
    this.refusal = refusal;
    return this.whenIdle();
  }

  private pump(): void {
    while (!this.gathering && this.inFlight < this.maxInFlight && this.queue.size > 0) {
      if (this.options.gather !== undefined) {
        void this.gatherThenSend(this.options.gather);
        return;
      }
      this.send(this.take());
    }
  }

  private async gatherThenSend(gather: NonNullable<BatcherOptions<T, R>['gather']>): Promise<void> {
    this.gathering = true;
    const waiting = { [Symbol.iterator]: () => this.items() };
    for (let turns = 0; gather(turns, waiting); turns += 1) await nextTurn();
    this.gathering = false;
    // Items refused meanwhile (a deadline passed) leave nothing to send.
    if (this.queue.size > 0) this.send(this.take());
    this.pump();
    this.settleIdle();
  }

  private *items(): Iterator<T> {
    for (const entry of this.queue.view()) yield entry.item;
  }

  /** Removes from the queue as many whole items as fit in one batch. */
  private take(): Array<Entry<T, R>> {
    let weight = 0;
    return this.queue.takeWhile((entry, count) => {
      if (count > 0 && weight + entry.weight > this.options.maxWeight) return false;
      weight += entry.weight;
      return true;
    });
  }

  private send(batch: Array<Entry<T, R>>): void {
    this.inFlight += 1;
    const ticket = { expired: false };
    const { deadline } = this.options;
    // One timer per batch, not per item: cheap at any load.
    const timer = deadline === undefined ? undefined : setTimeout(() => this.expire(batch, ticket, deadline.error), deadline.ms);
    this.options
      .handle(
        batch.map((entry) => entry.item),
        ticket,
      )
      .then(
        (answers) => {
          const miscounted =
            answers.length === batch.length ? undefined : new Error(`Expected ${batch.length} answers, got ${answers.length}`);
          // Answers to an expired batch settle nothing: its items were answered at the deadline.
          batch.forEach((entry, index) => {
            const answer = miscounted ?? answers[index]!;
            if (answer instanceof Error) entry.reject(answer);
            else entry.resolve(answer);
          });
        },
        (error: unknown) => {
          for (const entry of batch) entry.reject(error);
        },
      )
      .finally(() => {
        clearTimeout(timer);
        this.inFlight -= 1;
        if (this.stalledBy === ticket) {
          this.stalledBy = undefined;
          if (!this.closing) this.refusal = undefined;
        }
        this.pump();
        this.settleIdle();
      });
  }

  /** The batch outlived its deadline: answer it and everything queued behind it now, and refuse new items until it returns. */
  private expire(batch: ReadonlyArray<Entry<T, R>>, ticket: { expired: boolean }, error: () => Error): void {
    ticket.expired = true;
    this.stalledBy = ticket;
    if (!this.closing) this.refusal = error;
    const failure = error();
    for (const entry of batch) entry.reject(failure);
    for (const entry of this.queue.takeWhile(() => true)) entry.reject(failure);
  }

  private settleIdle(): void {
    if (this.idle) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
