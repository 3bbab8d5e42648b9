import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey, type RemoteJWKSet } from 'jose';
import { CertificateError } from '../core/errors.js';
import type { Logger } from '../monitoring/logger.js';
import { boundedFetch, describeFailure, PROVIDER_TIMEOUT_MS } from './oidc-discovery.js';

export interface KeysTiming {
  /** After fetching the keys, how long a token with an unknown `kid` is refused without fetching them again. */
  readonly jwksCooldownMs: number;
  /** How often the keys are fetched again in the background, so that a key the provider withdrew stops being trusted. */
  readonly keysRefreshMs: number;
}

/** A `kid` or `alg` the provider's keys do not have is the token's fault; any other failure is the provider's. */
const TOKEN_FAULTS = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSENotSupported, errors.JOSEAlgNotAllowed];

/**
 * The provider's signing keys from its `jwks_uri`: fetched once before any token is checked, again
 * for a `kid` they lack (at most once a cooldown), and in the background every `keysRefreshMs`. A
 * background fetch that fails keeps the keys fetched before, with a warning: tokens signed with
 * known keys keep working while the provider is away, and no request waits for a routine refresh.
 */
export class ProviderKeys {
  private refreshedAt = Date.now();

  private constructor(
    private readonly jwksUri: URL,
    private readonly remote: RemoteJWKSet,
    private readonly timing: KeysTiming,
    private readonly logger: Logger,
  ) {}

  /** The keys, once fetched; rejects when they cannot be. */
  static async fetch(jwksUri: URL, timing: KeysTiming, logger: Logger): Promise<ProviderKeys> {
    const remote = createRemoteJWKSet(jwksUri, {
      timeoutDuration: PROVIDER_TIMEOUT_MS,
      cooldownDuration: timing.jwksCooldownMs,
      // Never stale on its own: refreshing is this class's, in the background.
      cacheMaxAge: Infinity,
      [customFetch]: boundedFetch,
    });
    await remote.reload();
    return new ProviderKeys(jwksUri, remote, timing, logger);
  }

  /** For jwtVerify: the key a token's header names; `not_ready` when the provider's keys cannot be fetched. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    this.refreshIfDue();
    try {
      return await this.remote(header, token);
    } catch (error) {
      if (TOKEN_FAULTS.some((fault) => error instanceof fault)) throw error;
      throw new CertificateError('not_ready', `Expected the OpenID provider's keys at ${this.jwksUri.href}: ${describeFailure(error)}`, {
        cause: error,
      });
    }
  };

  private refreshIfDue(): void {
    if (Date.now() - this.refreshedAt < this.timing.keysRefreshMs) return;
    this.refreshedAt = Date.now();
    this.remote
      .reload()
      .catch((error: unknown) =>
        this.logger.warn(
          { jwksUri: this.jwksUri.href, error: describeFailure(error) },
          "OpenID provider's keys could not be fetched again: the ones fetched before are kept",
        ),
      );
  }
}
