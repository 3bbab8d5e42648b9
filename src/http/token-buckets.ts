/** A rate: `perSecond` sustained, up to `burst` at once after a quiet spell. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** What a caller learns from one take: whether it may go, what is left, and when to come back. */
export interface Take {
  readonly allowed: boolean;
  /** Whole requests left in the bucket after this one. */
  readonly remaining: number;
  /** Seconds (whole, rounded up) until the bucket is full again. */
  readonly fullInSeconds: number;
  /** Seconds (whole, at least 1) until a refused caller may go again; 0 when allowed. */
  readonly retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (a principal, or a client address), in a map of at most `maxKeys`: a
 * flood of new keys evicts the least recently used buckets instead of growing the process. An
 * evicted bucket comes back full, so eviction only ever forgives; a key in use is never the least
 * recently used one, so a flooding caller keeps its own (empty) bucket.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    readonly limit: RateLimit,
    private readonly maxKeys: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) throw new RangeError(`Expected a positive rate and a burst of at least 1, got ${JSON.stringify(limit)}`);
    this.perMs = limit.perSecond / 1000;
  }

  /** Buckets held now (at most maxKeys). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token from `key`'s bucket if it holds one. */
  take(key: string): Take {
    const now = this.now();
    const { burst, perSecond } = this.limit;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: burst, at: now };
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * this.perMs);
      bucket.at = now;
      // Re-inserting moves the key to the end: the map's order is least recently used first.
      this.buckets.delete(key);
    }
    this.buckets.set(key, bucket);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    return {
      allowed,
      remaining: Math.floor(bucket.tokens),
      fullInSeconds: Math.ceil((burst - bucket.tokens) / perSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)),
    };
  }
}
