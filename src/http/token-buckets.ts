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
 * One token bucket per key (a principal, or a client address), at most `maxKeys` of them: a flood of
 * new keys drops the buckets least recently used instead of growing the process. Two generations
 * of half the bound each: new and used keys go to the young one; when it is full the old one is
 * dropped and the young one becomes old. A key in use is always in one of them, so a flooding
 * caller keeps its own (empty) bucket; a dropped bucket comes back full, so dropping only forgives
 * (it was idle for a whole generation). No iteration, no per-hit reinsertion: O(1) a take.
 */
export class TokenBuckets {
  private young = new Map<string, Bucket>();
  private old = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly generation: number;

  constructor(
    readonly limit: RateLimit,
    maxKeys: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1))
      throw new RangeError(`Expected a positive rate and a burst of at least 1, got ${JSON.stringify(limit)}`);
    this.perMs = limit.perSecond / 1000;
    this.generation = Math.max(1, Math.floor(maxKeys / 2));
  }

  /** Buckets held now (at most maxKeys). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /** Takes one token from `key`'s bucket if it holds one. */
  take(key: string): Take {
    const now = this.now();
    const { burst, perSecond } = this.limit;
    let bucket = this.young.get(key);
    if (bucket === undefined) {
      bucket = this.old.get(key);
      if (bucket === undefined) bucket = { tokens: burst, at: now };
      else this.old.delete(key);
      if (this.young.size >= this.generation) {
        this.old = this.young;
        this.young = new Map();
      }
      this.young.set(key, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
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
