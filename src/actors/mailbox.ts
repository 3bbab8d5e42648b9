/**
 * A FIFO queue with O(1) push and bulk take. Array#shift is O(n) per call, which under load
 * (thousands of waiting requests) turns a drain into O(n^2); a head index avoids that.
 */
export class Mailbox<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** What waits, oldest first, without taking it. */
  *view(): Generator<T> {
    for (let at = this.head; at < this.items.length; at += 1) yield this.items[at]!;
  }

  /** Removes and returns items from the front, oldest first, while `more(item, taken so far)` says so. */
  takeWhile(more: (item: T, taken: number) => boolean): T[] {
    let end = this.head;
    while (end < this.items.length && more(this.items[end]!, end - this.head)) end += 1;
    const taken = this.items.slice(this.head, end);
    this.head = end;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return taken;
  }
}
