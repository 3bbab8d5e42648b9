import { errors, jwtVerify, type JWTPayload } from 'jose';
import { CertificateError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import type { Logger } from '../monitoring/logger.js';
import { describeFailure, discoverProvider } from './oidc-discovery.js';
import { ProviderKeys, type KeysTiming } from './provider-keys.js';
import { principalFromClaims } from './token-claims.js';
import { VerifiedTokens } from './verified-tokens.js';
import type { TokenVerifier } from './token-verifier.js';

/** Bearer tokens from an OpenID provider (OIDC_ISSUER, OIDC_AUDIENCE, OIDC_ROLES_CLAIM, OIDC_CLOCK_SKEW_SECONDS). */
export interface OidcSettings {
  /** The provider's issuer identifier, exactly as its tokens' `iss` and its discovery document say it. */
  readonly issuer: string;
  /** What a token's `aud` must hold: this service's identifier at the provider (its resource or API). */
  readonly audience: string;
  /** Where the token carries the roles: a claim name or a dotted path (src/auth/token-claims.ts). */
  readonly rolesClaim: string;
  /** How far `exp` and `nbf` may be off the service's clock. */
  readonly clockSkewSeconds: number;
}

/** The longest issuer a setting may name: with `sub` at most MAX_SUBJECT_LENGTH, MAX_PRINCIPAL_ID_LENGTH holds. */
export const MAX_ISSUER_LENGTH = 300;

/**
 * Asymmetric signatures only: a provider signs with a private key and publishes the public one. `none`
 * is never accepted, and no HMAC (HS*), whose key would be a secret the service shares with the provider.
 */
export const TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export interface OidcTiming extends KeysTiming {
  /** After a failed discovery, how long before a request or a readiness probe tries again. */
  readonly rediscoverAfterMs: number;
  /** How long a verified token is taken again without checking its signature (never past its `exp`). */
  readonly verifiedTokenMs: number;
}

export const DEFAULT_OIDC_TIMING: OidcTiming = {
  // jose's default: a rotated key is picked up at once unless the keys were fetched in the last 30 s,
  // and a flood of made-up `kid`s costs the provider one request each 30 s.
  jwksCooldownMs: 30_000,
  // jose's default for how long keys are trusted without asking the provider again.
  keysRefreshMs: 600_000,
  rediscoverAfterMs: 10_000,
  // A minute: the same token, a client's for minutes, is checked once a minute, not on every request.
  verifiedTokenMs: 60_000,
};

/** The longest token read: providers' access tokens are 1 to 2 KB; this bounds what a remembered one holds. */
export const MAX_TOKEN_LENGTH = 8192;

/** Verified tokens remembered at most: about 12 MB of 1 KB tokens, 80 MB if a provider's were the longest. */
export const MAX_VERIFIED_TOKENS = 10_000;

/** What the detailed readiness shows of the provider. */
export interface OidcStatus {
  readonly issuer: string;
  /** Whether the provider's keys are known: until then every token is refused. */
  readonly discovered: boolean;
  /** Why the last discovery failed. */
  readonly error?: string;
}

type Discovery = { readonly keys: ProviderKeys } | { readonly failedAt: number; readonly error: string };

/**
 * Verifies the provider's JWT access tokens: signature by one of the provider's keys (found by
 * discovery, src/auth/provider-keys.ts), issuer, audience, `exp` (required) and `nbf` within the
 * skew, a bounded `sub`; roles from the configured claim. A token that fails is `unauthenticated`,
 * saying why without repeating it; while the provider's keys cannot be had, tokens are refused as
 * `not_ready` (retryable: the token may be good).
 *
 * The service starts even when discovery fails (API keys still work, and the provider may come
 * back): the failure is logged as an error, `status()` shows it, and discovery is tried again on
 * the next request or probe after `rediscoverAfterMs`.
 */
export class OidcVerifier implements TokenVerifier {
  /** The last discovery's outcome, and the one under way. */
  private settled: Discovery | undefined;
  private pending: Promise<Discovery> | undefined;
  private readonly verified: VerifiedTokens;

  constructor(
    private readonly settings: OidcSettings,
    private readonly logger: Logger,
    private readonly timing: OidcTiming = DEFAULT_OIDC_TIMING,
  ) {
    this.verified = new VerifiedTokens(MAX_VERIFIED_TOKENS, timing.verifiedTokenMs);
  }

  /** Starts discovery now, so that a provider that cannot be reached is logged at start rather than at the first token. */
  start(): this {
    this.keys().catch(() => undefined);
    return this;
  }

  /** Where discovery stands; a probe after a failure also tries again, as a request would. */
  status(): OidcStatus {
    const settled = this.settled;
    if (settled !== undefined && 'error' in settled) this.keys().catch(() => undefined);
    return {
      issuer: this.settings.issuer,
      discovered: settled !== undefined && 'keys' in settled,
      ...(settled !== undefined && 'error' in settled ? { error: settled.error } : {}),
    };
  }

  async verify(token: string): Promise<Principal> {
    if (token.length > MAX_TOKEN_LENGTH)
      throw new CertificateError('unauthenticated', `Expected a token of at most ${MAX_TOKEN_LENGTH} characters, got ${token.length}`);
    const now = Date.now();
    const known = this.verified.get(token, now);
    if (known !== undefined) return known;
    const keys = await this.keys();
    const { issuer, audience, clockSkewSeconds } = this.settings;
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys.getKey, {
        issuer,
        audience,
        algorithms: TOKEN_ALGORITHMS,
        clockTolerance: clockSkewSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      if (error instanceof CertificateError) throw error;
      // jose's messages name the check that failed (`"exp" claim timestamp check failed`), never the token's content.
      const why = error instanceof errors.JOSEError ? error.message : 'it could not be read';
      throw new CertificateError('unauthenticated', `Expected a token from ${issuer} for ${audience}: ${why}`);
    }
    const principal = principalFromClaims(issuer, claims, this.settings.rolesClaim);
    // jwtVerify required `exp`; the token is valid while the clock is short of it by less than the skew.
    this.verified.remember(token, principal, now, (claims.exp! + clockSkewSeconds) * 1000);
    return principal;
  }

  /** The provider's key set, discovering it first (or again, once `rediscoverAfterMs` has passed since a failure). */
  private async keys(): Promise<ProviderKeys> {
    let settled = this.settled;
    if (settled === undefined || ('failedAt' in settled && Date.now() - settled.failedAt >= this.timing.rediscoverAfterMs)) {
      this.pending ??= this.discover().finally(() => (this.pending = undefined));
      settled = await this.pending;
    }
    if ('keys' in settled) return settled.keys;
    throw new CertificateError(
      'not_ready',
      `Expected the OpenID provider ${this.settings.issuer} to be reachable to check tokens; its discovery failed: ${settled.error}`,
    );
  }

  private async discover(): Promise<Discovery> {
    const { issuer } = this.settings;
    try {
      const { jwksUri } = await discoverProvider(issuer);
      const keys = await ProviderKeys.fetch(jwksUri, this.timing, this.logger);
      this.logger.info({ issuer, jwksUri: jwksUri.href }, 'OpenID provider discovered: tokens from it can be verified');
      this.settled = { keys };
    } catch (error) {
      this.settled = { failedAt: Date.now(), error: describeFailure(error) };
      this.logger.error(
        { issuer, error: this.settled.error, retryAfterMs: this.timing.rediscoverAfterMs },
        'OpenID provider discovery failed: every token is refused until it succeeds',
      );
    }
    return this.settled;
  }
}

/** An OidcVerifier whose discovery has begun. */
export function startOidcVerifier(settings: OidcSettings, logger: Logger, timing?: OidcTiming): OidcVerifier {
  return new OidcVerifier(settings, logger, timing).start();
}
