import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/actors/group-commit.js';

/** Records each write; the first write is held open until `release` so later submissions pile up. */
function recorder(maxWeight: number) {
  const writes: number[][] = [];
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const commits = new GroupCommit<number>(
    async (items) => {
      writes.push(items);
      if (writes.length === 1) await held;
    },
    { maxWeight, weigh: (item) => item },
  );
  return { commits, writes, release: () => release() };
}

describe('GroupCommit (pure logic)', () => {
  it('sends what piled up during a write together in the next one, in submission order', async () => {
    const { commits, writes, release } = recorder(100);
    const first = commits.submit([1]);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [commits.submit([2, 3]), commits.submit([4])];
    release();
    await Promise.all([first, ...later]);
    expect(writes).toEqual([[1], [2, 3, 4]]);
  });

  it('keeps each write within the weight limit, never splitting a submission, and sends an oversized one alone', async () => {
    const { commits, writes, release } = recorder(10);
    const first = commits.submit([1]);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [commits.submit([4, 4]), commits.submit([3]), commits.submit([6]), commits.submit([20]), commits.submit([1])];
    release();
    await Promise.all([first, ...later]);
    expect(writes).toEqual([[1], [4, 4], [3, 6], [20], [1]]);
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
