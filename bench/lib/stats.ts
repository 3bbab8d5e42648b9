import type { Latency } from './model.js';

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN;
}

/** Exact percentiles of raw samples in ms, to the microsecond: the bars here sit near 1 ms. */
export function summarise(samples: readonly number[]): Latency {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  const round = (ms: number): number => Math.round(ms * 1000) / 1000;
  return {
    p50: round(percentile(values, 0.5)),
    p90: round(percentile(values, 0.9)),
    p99: round(percentile(values, 0.99)),
    p99_9: round(percentile(values, 0.999)),
    max: round(values[values.length - 1] ?? Number.NaN),
  };
}

/** The middle value (the upper of the two middle ones for an even count). */
export const median = (values: readonly number[]): number => [...values].sort((x, y) => x - y)[values.length >> 1]!;
