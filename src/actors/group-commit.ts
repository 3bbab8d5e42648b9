/**
 * Coalesces concurrent appends into one write at a time. Whatever is submitted while a write is in
 * flight waits and goes out together in the next one, so the share-class actors share each log
 * round trip instead of queueing behind one another. A failed write fails every append it carried.
 *
 * Each write waits one turn of the event loop (setImmediate) before it takes what is pending. When a
 * write returns, the actors it answered resubmit in microtasks; without that turn the next write
 * would leave at once with only the other actor's batch, and the classes would take turns, one per
 * round trip, instead of sharing it.
 *
 * A write that would carry fewer than `SMALL_WRITE` items waits up to `MAX_TURNS` turns in all, so
 * that a write's fixed cost (a produce request: ~0.1 ms of this process's CPU and ~0.3 ms of the
 * broker's) is shared by more certificates: the actors' next batches gather while it waits and
 * travels, and go out together in the next write. A turn of a busy loop is a round of other work
 * (connections accepted, bodies read, answers sent), so the wait costs no idle time; an idle loop
 * turns in microseconds.
 * Under `ab` (a new connection per request, so requests arrive one or two per turn) writes grew
 * from ~2.7 to ~6 certificates and throughput by ~30%; under keep-alive load, where writes carry ~9
 * anyway, it changes nothing measurable (docs/benchmark.md, "Small writes wait a few turns"). A
 * timer would not do: a 1 ms wait left the loop idle and cost throughput.
 *
 * A write carries whole submissions up to `maxWeight` (at least one): Kafka refuses a write above
 * its size limit, so what does not fit waits for the next write, in order.
 */
export interface WriteLimit<T> {
  readonly maxWeight: number;
  weigh(item: T): number;
}

interface Submission<T> {
  readonly items: readonly T[];
  readonly weight: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Fewer items than this make a small write, worth waiting a few turns for company. */
const SMALL_WRITE = 8;
/** Turns of the event loop a small write waits in all, counting the one every write waits. */
const MAX_TURNS = 4;

const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

export class GroupCommit<T> {
  private pending: Array<Submission<T>> = [];
  private writing = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly limit: WriteLimit<T>,
  ) {}

  submit(items: readonly T[]): Promise<void> {
    let weight = 0;
    for (const item of items) weight += this.limit.weigh(item);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ items, weight, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private pendingItems(): number {
    let items = 0;
    for (const entry of this.pending) items += entry.items.length;
    return items;
  }

  /** Removes from the front of `pending` as many whole submissions as fit in one write. */
  private takeGroup(): Array<Submission<T>> {
    let count = 0;
    let weight = 0;
    while (count < this.pending.length && (count === 0 || weight + this.pending[count]!.weight <= this.limit.maxWeight)) {
      weight += this.pending[count]!.weight;
      count += 1;
    }
    return this.pending.splice(0, count);
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.pending.length > 0) {
      await nextTurn();
      for (let turn = 2; turn <= MAX_TURNS && this.pendingItems() < SMALL_WRITE; turn += 1) await nextTurn();
      const group = this.takeGroup();
      try {
        await this.write(group.flatMap((entry) => entry.items));
        for (const entry of group) entry.resolve();
      } catch (error) {
        for (const entry of group) entry.reject(error);
      }
    }
    this.writing = false;
  }
}
