import { isIPv6 } from 'node:net';
import type { Context, Middleware, Next } from 'koa';
import { CertificateError, isCertificateError } from '../core/errors.js';
import type { RequestState } from './request-state.js';
import { TokenBuckets, type RateLimit, type Take } from './token-buckets.js';

/** The per-caller rate limit (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST); off when undefined. */
export type RateLimitSettings = RateLimit;

/** Callers remembered at most: a flood of new callers then holds ~16 MiB of heap (docs/operations.md, Limits, gives the measurement). */
export const MAX_RATE_LIMITED_CALLERS = 100_000;

/** The one policy this service advertises, by the name its RateLimit fields refer to. */
const POLICY = 'default';

/**
 * An address as a caller: IPv4 as it is, IPv6 by its /64, which one host or one customer usually
 * holds whole; counting each of its 2^64 addresses apart would give every request a fresh bucket.
 */
export function callerOfAddress(address: string): string {
  if (!address.includes(':')) return `ip:${address}`;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return `ip:${mapped[1]}`;
  if (!isIPv6(address)) return `ip:${address}`;
  const [head = '', tail] = address.toLowerCase().split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups];
  return `ip:${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** Who a request counts against: its principal once authenticated, else the address it came from (TRUST_PROXY says which). */
function callerOf(ctx: Context): string {
  return (ctx.state as RequestState).principal?.id ?? callerOfAddress(ctx.ip);
}

/** The rate limit's two places in the chain, sharing one set of buckets. */
export interface RateLimiter {
  /** Before authentication: a refused credential counts against its address, so guessing keys or tokens is limited too. */
  readonly refusals: Middleware;
  /** After authentication: each request counts against its principal, or its address when it has none. */
  readonly requests: Middleware;
}

/**
 * Per-caller rate limit: a token bucket per principal (or per address before authentication), so
 * one caller's flood is answered `429 too_many_requests` while others go on. Answers carry the
 * RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers-10 once the caller has
 * spent half its burst, and every refusal does; a refusal also carries Retry-After, the same moment
 * as the RateLimit field's `t`.
 */
export function rateLimit(settings: RateLimitSettings): RateLimiter {
  const buckets = new TokenBuckets(settings, MAX_RATE_LIMITED_CALLERS);
  // The window is how long an empty bucket takes to fill: the burst, spent at once, comes back in it.
  const policy = `${POLICY};q=${settings.burst};w=${Math.max(1, Math.ceil(settings.burst / settings.perSecond))}`;
  const halfBurst = settings.burst / 2;
  const state = (take: Take): string => `${POLICY};r=${take.remaining};t=${take.allowed ? take.fullInSeconds : take.retryAfterSeconds}`;
  const charge = (ctx: Context, caller: string): void => {
    const take = buckets.take(caller);
    // Only once half the burst is spent, as the draft allows for performance: a caller well within
    // its quota has nothing to pace, and most answers then carry no fields at all.
    if (take.remaining < halfBurst) {
      ctx.set('RateLimit-Policy', policy);
      ctx.set('RateLimit', state(take));
    }
    if (!take.allowed) {
      ctx.set('Retry-After', String(take.retryAfterSeconds));
      throw new CertificateError(
        'too_many_requests',
        `Expected at most ${settings.perSecond} requests a second (bursts of ${settings.burst}) from one caller; retry in ${take.retryAfterSeconds} s`,
      );
    }
  };
  return {
    refusals: async (ctx: Context, next: Next): Promise<void> => {
      try {
        await next();
      } catch (error) {
        // Credentials were sent and proved no one (a request without any was counted as its address
        // already): past its address's quota a caller that keeps guessing is told to wait instead.
        if (isCertificateError(error) && error.code === 'unauthenticated' && ctx.get('Authorization') !== '')
          charge(ctx, callerOfAddress(ctx.ip));
        throw error;
      }
    },
    requests: async (ctx: Context, next: Next): Promise<void> => {
      charge(ctx, callerOf(ctx));
      await next();
    },
  };
}
