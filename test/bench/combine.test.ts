import { describe, expect, it } from 'vitest';
import { combineAbRuns, parseAb } from '../../bench/lib/ab.js';
import { combineBursts, type Burst } from '../../bench/lib/load.js';
import type { ScenarioResult } from '../../bench/lib/model.js';
import { parseOptions } from '../../bench/lib/options.js';

const burst = (samples: number[], duration: number, more: Partial<Burst> = {}): Burst => ({
  duration,
  statuses: { '201': samples.length },
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  samples,
  ...more,
});

describe('a scenario measured in bursts that took turns', () => {
  it('reads throughput as all responses over the bursts summed durations, not as a mean of the bursts rates', () => {
    // 3,000 responses in 1 s and 1,000 in 3 s: 1,000 req/s, where the mean of the rates would say 1,667.
    const combined = combineBursts([burst(Array(3000).fill(1), 1), burst(Array(1000).fill(1), 3)]);
    expect(combined.total).toBe(4000);
    expect(combined.requestsPerSecond).toBe(1000);
  });

  it('takes percentiles over every response of every burst', () => {
    // One slow burst of 3 responses among 198 fast ones: the slowest 1.5%, so the p99 is one of them,
    // where the median of the bursts' own p99s would say ~1.1 ms.
    const fast = Array.from({ length: 99 }, (_, index) => 1 + index / 1000);
    const combined = combineBursts([burst(fast, 1), burst([50, 55, 60], 1), burst(fast, 1)]);
    expect(combined.latencyMs.p50).toBe(1.05);
    expect(combined.latencyMs.p99).toBe(50);
    expect(combined.latencyMs.max).toBe(60);
  });

  it('sums statuses, errors and timeouts, and divides the CPU of every burst by every response', () => {
    const combined = combineBursts([
      burst([1, 1], 1, { statuses: { '201': 1, '409': 1 }, errors: 1, timeouts: 2, non2xx: 1, cpuSeconds: 0.002 }),
      burst([1, 1], 1, { statuses: { '201': 2 }, errors: 3, cpuSeconds: 0.006 }),
    ]);
    expect(combined.statuses).toEqual({ '201': 3, '409': 1 });
    expect([combined.errors, combined.timeouts, combined.non2xx]).toEqual([4, 2, 1]);
    expect(combined.serverCpuUsPerRequest).toBe(2000);
  });

  it("reads the time spent sealing as a share of the bursts' wall time, and reports none for an unsigned service", () => {
    // 0.15 s and 0.05 s of sealing over 2 s and 2 s: 5% of the wall time.
    const signed = combineBursts([burst([1], 2, { sealSeconds: 0.15 }), burst([1], 2, { sealSeconds: 0.05 })]);
    expect(signed.sealShare).toBeCloseTo(0.05, 10);
    expect(combineBursts([burst([1], 2, { sealSeconds: 0 })]).sealShare).toBeUndefined();
    expect(combineBursts([burst([1], 2, { sealSeconds: 0.1 }), burst([1], 2)]).sealShare).toBeUndefined();
  });

  it('reports no CPU when a burst has no CPU figure, rather than one from part of the bursts', () => {
    const combined = combineBursts([burst([1], 1, { cpuSeconds: 0.001 }), burst([1], 1)]);
    expect(combined.serverCpuUsPerRequest).toBeUndefined();
  });
});

describe('ab runs that took turns', () => {
  const run = (requestsPerSecond: number, p99: number, max: number, total = 10_000): ScenarioResult => ({
    id: 'ab',
    label: 'ab',
    tool: 'ab',
    requestsPerSecond,
    latencyMs: { p50: 3, p90: 5, p99, max },
    total,
    statuses: { '2xx': total },
    non2xx: 0,
    errors: 0,
    timeouts: 0,
  });

  it('reads throughput as all requests over the runs summed times, each percentile as the median run, and the largest max', () => {
    // 10,000 requests at 5,000/s (2 s), at 10,000/s (1 s) and at 2,500/s (4 s): 30,000 in 7 s.
    const combined = combineAbRuns([run(5000, 9, 20), run(10_000, 7, 15), run(2500, 12, 40)]);
    expect(combined.total).toBe(30_000);
    expect(combined.requestsPerSecond).toBe(4286);
    expect(combined.latencyMs.p99).toBe(9);
    expect(combined.latencyMs.max).toBe(40);
    expect(combined.statuses).toEqual({ '2xx': 30_000 });
  });

  it('keeps the non-2xx answers and failures of every run', () => {
    const refused = parseAb(
      'Complete requests:      100\nFailed requests:        2\n   (Connect: 1, Receive: 0, Length: 40, Exceptions: 1)\n' +
        'Non-2xx responses:      5\nRequests per second:    1000.00 [#/sec] (mean)\n  50%      3\n  90%      5\n  99%      9\n 100%     12 (longest request)\n',
    );
    const combined = combineAbRuns([{ id: 'ab', label: 'ab', tool: 'ab', ...refused }, run(1000, 9, 12, 100)]);
    expect(combined.total).toBe(200);
    expect(combined.non2xx).toBe(5);
    expect(combined.statuses).toEqual({ '2xx': 195, 'non-2xx': 5 });
    expect(combined.errors).toBe(2);
  });
});

describe('bench options for taking turns', () => {
  it('measures in 3 rounds unless told otherwise, and deletes the run topics unless told to keep them', () => {
    expect(parseOptions([], {})).toMatchObject({ rounds: 3, keepTopics: false });
    expect(parseOptions(['--rounds=5', '--keep-topics'], {})).toMatchObject({ rounds: 5, keepTopics: true });
    expect(parseOptions([], { BENCH_ROUNDS: '4', BENCH_KEEP_TOPICS: '1' })).toMatchObject({ rounds: 4, keepTopics: true });
  });

  it('refuses a round count that is not a positive number, saying what came', () => {
    expect(() => parseOptions(['--rounds=0'], {})).toThrow('Expected the rounds per scenario to be a positive number, got "0"');
  });
});
