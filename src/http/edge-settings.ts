import type { RateLimitSettings } from './rate-limit.js';

/** How the public listener meets the network (TRUST_PROXY, MAX_CONNECTIONS, RATE_LIMIT_*). */
export interface EdgeSettings {
  /**
   * Proxies in front of the service whose X-Forwarded-For and X-Forwarded-Proto are believed: the
   * client is the address that many hops back. 0: the headers are ignored, the peer is the client.
   */
  readonly trustProxyHops: number;
  /** Open connections at most; past it, new ones are closed at once. */
  readonly maxConnections: number;
  /** Requests a caller may make; undefined: no limit. */
  readonly rateLimit: RateLimitSettings | undefined;
}
