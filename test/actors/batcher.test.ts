import { describe, expect, it } from 'vitest';
import { Batcher, type BatcherOptions, type BatchTicket } from '../../src/actors/batcher.js';
import { groupCommit } from '../../src/actors/log-writer.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function turns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn += 1) await nextTurn();
}

/** A handler that records each batch and holds it open until the test releases it; it answers each item doubled. */
function held<T extends number | readonly number[]>() {
  const batches: T[][] = [];
  const releases: Array<() => void> = [];
  const tickets: BatchTicket[] = [];
  const handle = async (items: T[], ticket: BatchTicket): Promise<Array<T | Error>> => {
    batches.push(items);
    tickets.push(ticket);
    await new Promise<void>((resolve) => releases.push(resolve));
    return items.map((item) => (typeof item === 'number' && item < 0 ? new Error(`refused ${item}`) : item));
  };
  /** Releases the oldest batch still held. */
  const release = async (): Promise<void> => {
    for (let turn = 0; releases.length === 0; turn += 1) {
      if (turn === 100) throw new Error('no batch to release');
      await nextTurn();
    }
    releases.shift()!();
    await turns(1);
  };
  return { batches, tickets, handle, release };
}

const UNIT = { timeout: 5_000 };

describe('Batcher (the one way work gathers while earlier work is out)', UNIT, () => {
  it('sends the first item at once and what arrives while a batch is out together in the next, answering each item its own answer', async () => {
    const { batches, handle, release } = held<number>();
    const batcher = new Batcher<number, number>({ handle, maxWeight: 100 });
    const answers = [batcher.add(1)];
    expect(batches).toEqual([[1]]);
    answers.push(batcher.add(2), batcher.add(3));
    expect(batcher.waiting).toBe(2);
    await release();
    expect(batches).toEqual([[1], [2, 3]]);
    await release();
    expect(await Promise.all(answers)).toEqual([1, 2, 3]);
    expect(batcher.idle).toBe(true);
  });

  it('keeps each batch within the weight limit, never splitting an item, and sends an oversized item alone', async () => {
    const { batches, handle, release } = held<readonly number[]>();
    const batcher = new Batcher<readonly number[], readonly number[]>({
      handle,
      maxWeight: 10,
      weigh: (items) => items.reduce((sum, item) => sum + item, 0),
    });
    const all = [[1], [4, 4], [3], [6], [20], [1]].map((items) => batcher.add(items));
    for (let batch = 0; batch < 5; batch += 1) await release();
    await Promise.all(all);
    expect(batches).toEqual([[[1]], [[4, 4]], [[3], [6]], [[20]], [[1]]]);
  });

  it('rejects the items whose answer is an Error, and every item of a batch whose handler failed, and goes on', async () => {
    let calls = 0;
    const batcher = new Batcher<number, number>({
      maxWeight: 100,
      handle: async (items) => {
        calls += 1;
        if (calls === 3) throw new Error('broker went away');
        return items.map((item) => (item < 0 ? new Error(`refused ${item}`) : item));
      },
    });
    const first = [batcher.add(1), batcher.add(-2), batcher.add(3)];
    await expect(first[0]).resolves.toBe(1);
    await expect(first[1]).rejects.toThrow('refused -2');
    await expect(first[2]).resolves.toBe(3);
    await expect(batcher.add(4)).rejects.toThrow('broker went away');
    await expect(batcher.add(5)).resolves.toBe(5);
  });

  it('rejects every item of a batch whose handler answered a different number of answers', async () => {
    const batcher = new Batcher<number, number>({ maxWeight: 100, handle: async () => [1] });
    const first = batcher.add(1);
    const [second, third] = [batcher.add(2), batcher.add(3)];
    await expect(first).resolves.toBe(1);
    await expect(second).rejects.toThrow('Expected 2 answers, got 1');
    await expect(third).rejects.toThrow('Expected 2 answers, got 1');
  });

  it('keeps up to maxInFlight batches out at once, the next gathering behind them', async () => {
    const { batches, handle, release } = held<number>();
    const batcher = new Batcher<number, number>({ handle, maxWeight: 100, maxInFlight: 2 });
    const all = [1, 2, 3, 4].map((item) => batcher.add(item));
    expect(batches).toEqual([[1], [2]]);
    await release();
    expect(batches).toEqual([[1], [2], [3, 4]]);
    await release();
    await release();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4]);
  });

  it('waits the turns `gather` asks for before it takes a batch, so what arrives meanwhile goes with it', async () => {
    const { batches, handle, release } = held<number>();
    const gather: BatcherOptions<number, number>['gather'] = (waited, waiting) => waited < 2 && [...waiting].length < 3;
    const batcher = new Batcher<number, number>({ handle, maxWeight: 100, gather });
    const all = [batcher.add(1)];
    await turns(1);
    all.push(batcher.add(2));
    expect(batches).toEqual([]);
    await turns(2);
    expect(batches).toEqual([[1, 2]]);
    all.push(batcher.add(3), batcher.add(4), batcher.add(5));
    await release();
    await turns(1);
    // Three waiting: gather lets it go after the one turn every batch waits.
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    await release();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5]);
  });

  it('answers a batch past its deadline with the deadline error, and what waits behind it, refuses new items until the batch returns, and says so to the handler', async () => {
    const { batches, tickets, handle, release } = held<number>();
    const batcher = new Batcher<number, number>({
      handle,
      maxWeight: 100,
      deadline: { ms: 30, error: () => new Error('log not answering') },
    });
    const late = batcher.add(1);
    const queued = batcher.add(2);
    await expect(late).rejects.toThrow('log not answering');
    await expect(queued).rejects.toThrow('log not answering');
    expect(tickets[0]!.expired).toBe(true);
    await expect(batcher.add(3)).rejects.toThrow('log not answering');
    await release();
    // The expired batch's answer settles nothing more; the batcher takes items again.
    const after = batcher.add(4);
    expect(batches).toEqual([[1], [4]]);
    expect(tickets[1]!.expired).toBe(false);
    await release();
    await expect(after).resolves.toBe(4);
  });

  it('refuses an item past its bound of waiting items at once, keeping nothing of it, and takes items again once the queue drains', async () => {
    const { batches, handle, release } = held<number>();
    const batcher = new Batcher<number, number>({ handle, maxWeight: 100, bound: { items: 2, error: () => new Error('overloaded') } });
    const out = batcher.add(1);
    const waiting = [batcher.add(2), batcher.add(3)];
    expect(batcher.waiting).toBe(2);
    await expect(batcher.add(4)).rejects.toThrow('overloaded');
    expect(batcher.waiting).toBe(2);
    await release();
    await release();
    expect(await Promise.all([out, ...waiting])).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1], [2, 3]]);
    const later = batcher.add(5);
    await release();
    await expect(later).resolves.toBe(5);
  });

  it('on close refuses new items with the close error and resolves once the items already taken are answered', async () => {
    const { handle, release } = held<number>();
    const batcher = new Batcher<number, number>({ handle, maxWeight: 100 });
    const taken = [batcher.add(1), batcher.add(2)];
    let closed = false;
    const closing = batcher.close(() => new Error('shutting down')).then(() => (closed = true));
    await expect(batcher.add(3)).rejects.toThrow('shutting down');
    await release();
    expect(closed).toBe(false);
    await release();
    await closing;
    expect(await Promise.all(taken)).toEqual([1, 2]);
  });

  it('tells when it is idle: nothing waiting, no batch out', async () => {
    const { handle, release } = held<number>();
    const batcher = new Batcher<number, number>({ handle, maxWeight: 100 });
    await batcher.whenIdle();
    const answer = batcher.add(1);
    let idle = false;
    const whenIdle = batcher.whenIdle().then(() => (idle = true));
    await turns(2);
    expect(idle).toBe(false);
    await release();
    await whenIdle;
    await answer;
  });
});

describe('the group commit (how writes gather: src/actors/log-writer.ts)', UNIT, () => {
  const recorder = () => {
    const writes: number[][][] = [];
    const batcher = new Batcher<readonly number[], number>(
      groupCommit({ maxWeight: 100, weigh: (item: number) => item }, async (submissions) => {
        writes.push(submissions.map((submission) => [...submission]));
        return submissions.map(() => 0);
      }),
    );
    return { writes, batcher };
  };

  it('waits one turn before every write, so submissions of one turn share it', async () => {
    const { writes, batcher } = recorder();
    const all = [batcher.add([1]), batcher.add([2])];
    expect(writes).toEqual([]);
    await Promise.all(all);
    expect(writes).toEqual([[[1], [2]]]);
  });

  it('holds a small write up to four turns of the event loop, so what is submitted meanwhile goes with it', async () => {
    const { writes, batcher } = recorder();
    const submitted = [batcher.add([1])];
    await turns(1);
    submitted.push(batcher.add([2]));
    await turns(2);
    submitted.push(batcher.add([3]));
    await turns(2);
    submitted.push(batcher.add([4]));
    await Promise.all(submitted);
    expect(writes).toEqual([[[1], [2], [3]], [[4]]]);
  });

  it('sends a write of eight records or more after one turn, without waiting for company', async () => {
    const { writes, batcher } = recorder();
    const submitted = [batcher.add([1, 1, 1, 1, 1, 1, 1, 1])];
    await turns(1);
    submitted.push(batcher.add([2]));
    await Promise.all(submitted);
    expect(writes).toEqual([[[1, 1, 1, 1, 1, 1, 1, 1]], [[2]]]);
  });

  it("weighs a submission by its records, within the log's limit", async () => {
    const { writes, batcher } = recorder();
    await Promise.all([batcher.add([60]), batcher.add([30, 20]), batcher.add([10])]);
    expect(writes).toEqual([[[60]], [[30, 20], [10]]]);
  });
});
