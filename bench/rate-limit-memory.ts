/**
 * The rate limiter's memory under a flood of distinct callers: RSS and heap before and after
 * `count` requests each from a new caller (an address, as before authentication), with the bound the
 * service uses and, for comparison, without one.
 * Run: node --expose-gc --import tsx bench/rate-limit-memory.ts [count] [bounded|unbounded]   (default 1,000,000 bounded)
 */
import { MAX_RATE_LIMITED_CALLERS, callerOfAddress } from '../src/http/rate-limit.js';
import { TokenBuckets } from '../src/http/token-buckets.js';
import { DEFAULTS } from '../src/config.js';

const count = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('Expected node --expose-gc, got a node without gc()');
const collect = gc;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function flood(maxKeys: number): string {
  collect();
  const before = process.memoryUsage();
  const limit = { perSecond: DEFAULTS.rateLimit.perSecond, burst: 2 * DEFAULTS.rateLimit.perSecond };
  const buckets = new TokenBuckets(limit, maxKeys);
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const address = `10.${(index >>> 16) & 255}.${(index >>> 8) & 255}.${index & 255}`;
    if (!buckets.take(callerOfAddress(address)).allowed) throw new Error('Expected every new caller to be let through');
  }
  const nsPerTake = ((performance.now() - started) * 1e6) / count;
  collect();
  const after = process.memoryUsage();
  return `max ${maxKeys === Infinity ? 'unbounded' : maxKeys.toLocaleString('en-US')}: ${buckets.size.toLocaleString('en-US')} buckets held, RSS ${mib(before.rss)} → ${mib(after.rss)}, heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)}, ${nsPerTake.toFixed(0)} ns a take`;
}

// One process per bound (`bounded`, the default, or `unbounded`): RSS never shrinks back after a flood.
const bound = process.argv[3] === 'unbounded' ? Infinity : MAX_RATE_LIMITED_CALLERS;
console.log(`${count.toLocaleString('en-US')} distinct callers, ${flood(bound)}`);
