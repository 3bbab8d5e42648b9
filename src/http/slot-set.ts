/**
 * Things in progress right now, one per request (the responses still open): add, remove, visit.
 * Not a Set, for the garbage collector's sake. A Set that lives long is moved, with its hash table,
 * to V8's old generation; from then on every table it grows, shrinks or compacts into is allocated
 * there too, and a table it left behind still refers to what it held then until the next full
 * collection, which comes seldom. Whatever was in progress at each of those moments is then copied
 * and promoted by the scavenges instead of dying young. With a Set of the open responses, 2 runs in
 * 4 promoted 1.7-1.8 MB per scavenge, with 5 ms pauses, against 0.02 MB and 1 ms with this
 * (docs/benchmark.md, "What the scavenges kept"). The slots here are one array that grows only to
 * the most ever held at once; a freed slot holds nothing and is reused.
 */
export class SlotSet<T extends object> {
  private readonly items: Array<T | undefined> = [];
  private readonly free: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the item; the number returned is its slot, what `remove` takes. */
  add(item: T): number {
    const slot = this.free.pop() ?? this.items.length;
    this.items[slot] = item;
    this.count += 1;
    return slot;
  }

  /** Removes the item from its slot; a slot that holds something else (the item was removed already) is left alone. */
  remove(slot: number, item: T): void {
    if (this.items[slot] !== item) return;
    this.items[slot] = undefined;
    this.free.push(slot);
    this.count -= 1;
  }

  /** Calls `visit` with each item, in slot order; `visit` may remove items. */
  forEach(visit: (item: T) => void): void {
    for (const item of this.items) if (item !== undefined) visit(item);
  }
}
