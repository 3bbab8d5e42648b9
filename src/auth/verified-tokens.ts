import type { Principal } from '../core/principal.js';

/**
 * Tokens already verified, and whose they are, until they expire or `maxAgeMs` has passed: a client
 * sends the same access token for its whole life, and checking its RSA signature again each time
 * cost about 90 µs (docs/operations.md, "OpenID Connect"). The oldest entry leaves first beyond
 * `maxEntries`, so the memory is bounded whoever sends tokens; only verified tokens enter.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, { readonly principal: Principal; readonly untilMs: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
  ) {}

  /** The principal of a token verified before and still valid at `nowMs`. */
  get(token: string, nowMs: number): Principal | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (nowMs < entry.untilMs) return entry.principal;
    this.entries.delete(token);
    return undefined;
  }

  /** Remembers a token just verified at `nowMs`, valid until `validUntilMs` (its `exp` and the skew). */
  remember(token: string, principal: Principal, nowMs: number, validUntilMs: number): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { principal, untilMs: Math.min(validUntilMs, nowMs + this.maxAgeMs) });
  }
}
