import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/actors/group-commit.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function turns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn += 1) await nextTurn();
}

/**
 * Records each write; the first write is held open until `release` so later submissions pile up.
 * `firstWrite` resolves once the first write has left.
 */
function recorder(maxWeight: number) {
  const writes: number[][] = [];
  let release: () => void = () => undefined;
  let started: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const firstWrite = new Promise<void>((resolve) => (started = resolve));
  const commits = new GroupCommit<number>(
    async (items) => {
      writes.push(items);
      if (writes.length === 1) {
        started();
        await held;
      }
    },
    { maxWeight, weigh: (item) => item },
  );
  return { commits, writes, firstWrite, release: () => release() };
}

describe('GroupCommit (pure logic)', () => {
  it('sends what piled up during a write together in the next one, in submission order', async () => {
    const { commits, writes, firstWrite, release } = recorder(100);
    const first = commits.submit([1]);
    await firstWrite;
    const later = [commits.submit([2, 3]), commits.submit([4])];
    release();
    await Promise.all([first, ...later]);
    expect(writes).toEqual([[1], [2, 3, 4]]);
  });

  it('keeps each write within the weight limit, never splitting a submission, and sends an oversized one alone', async () => {
    const { commits, writes, firstWrite, release } = recorder(10);
    const first = commits.submit([1]);
    await firstWrite;
    const later = [commits.submit([4, 4]), commits.submit([3]), commits.submit([6]), commits.submit([20]), commits.submit([1])];
    release();
    await Promise.all([first, ...later]);
    expect(writes).toEqual([[1], [4, 4], [3, 6], [20], [1]]);
  });

  it('holds a small write up to four turns of the event loop, so what is submitted meanwhile goes with it', async () => {
    const { commits, writes, release } = recorder(100);
    release();
    const submitted = [commits.submit([1])];
    await turns(1);
    submitted.push(commits.submit([2]));
    await turns(2);
    submitted.push(commits.submit([3]));
    await turns(2);
    submitted.push(commits.submit([4]));
    await Promise.all(submitted);
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  it('sends a write of eight items or more after one turn, without waiting for company', async () => {
    const { commits, writes, release } = recorder(100);
    release();
    const submitted = [commits.submit([1, 1, 1, 1, 1, 1, 1, 1])];
    await turns(1);
    submitted.push(commits.submit([2]));
    await Promise.all(submitted);
    expect(writes).toEqual([[1, 1, 1, 1, 1, 1, 1, 1], [2]]);
  });

  it('fails every submission a failed write carried, and only those', async () => {
    let calls = 0;
    const commits = new GroupCommit<number>(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('broker went away');
      },
      { maxWeight: 100, weigh: () => 1 },
    );
    const failed = commits.submit([1]);
    await expect(failed).rejects.toThrow('broker went away');
    await expect(commits.submit([2])).resolves.toBeUndefined();
  });
});
