/**
 * Coalesces concurrent appends into one write at a time. Whatever is submitted while a write is in
 * flight waits and goes out together in the next one, so the share-class actors share each Kafka
 * round trip instead of queueing behind one another (kafkajs keeps one idempotent produce request
 * in flight per broker anyway). A failed write fails every append it carried, and `onFailure` runs
 * before the next write starts.
 *
 * Each write waits one turn of the event loop (setImmediate) before it takes what is pending. When a
 * write returns, the actors it answered resubmit in microtasks; without that turn the next write
 * would leave at once with only the other actor's batch, and the classes would take turns, one per
 * round trip, instead of sharing it.
 */
export class GroupCommit<T> {
  private pending: Array<{ items: readonly T[]; resolve: () => void; reject: (error: unknown) => void }> = [];
  private writing = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly onFailure: (error: unknown) => Promise<void>,
  ) {}

  submit(items: readonly T[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.pending.length > 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const group = this.pending;
      this.pending = [];
      try {
        await this.write(group.flatMap((entry) => entry.items));
        for (const entry of group) entry.resolve();
      } catch (error) {
        await this.onFailure(error).catch(() => undefined);
        for (const entry of group) entry.reject(error);
      }
    }
    this.writing = false;
  }
}
