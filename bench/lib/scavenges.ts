/**
 * What V8's young-generation collections cost a server, from the lines `node --trace-gc-nvp` prints
 * for each scavenge (`gc=s`). `promoted` is what the scavenges moved to the old generation: an
 * object that lives only for its request should never get there, and when many do, each scavenge
 * copies them and the full collections that free them come seldom (docs/benchmark.md, "What the
 * scavenges kept").
 */
export interface ScavengeStats {
  readonly scavenges: number;
  readonly pauseMsPerScavenge: number;
  readonly gcUsPerRequest: number;
  readonly promotedMbPerScavenge: number;
}

const field = (line: string, name: string): number => Number(new RegExp(` ${name}=([0-9.]+)`).exec(line)?.[1] ?? Number.NaN);

/** The scavenges in `trace` (anything else in it is passed over), per scavenge and per request served meanwhile. */
export function scavengeStats(trace: string, requests: number): ScavengeStats {
  const lines = trace.split('\n').filter((line) => line.includes(' gc=s ') && line.includes(' promoted='));
  const total = (name: string): number => lines.reduce((sum, line) => sum + field(line, name), 0);
  const per = (value: number, count: number): number => (count === 0 ? 0 : value / count);
  return {
    scavenges: lines.length,
    pauseMsPerScavenge: Math.round(per(total('pause'), lines.length) * 100) / 100,
    gcUsPerRequest: Math.round(per(total('pause') * 1000, requests) * 100) / 100,
    promotedMbPerScavenge: Math.round(per(total('promoted'), lines.length) / 1e4) / 100,
  };
}
