import { CertificateError, isCertificateError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import { looksLikeApiKey, parseApiKey, secretMatches, type StoredKey } from './api-keys.js';
import type { TokenVerifier } from './token-verifier.js';

/** Where API keys are looked up: the keys file's live set (src/auth/key-store.ts). */
export interface KeyLookup {
  find(keyId: string): StoredKey | undefined;
}

export interface AuthenticatorOptions {
  /** API keys (`stc_…`); without them no API key is accepted. */
  readonly keys?: KeyLookup;
  /** Every other bearer token (an identity provider's JWT); without it no such token is accepted. */
  readonly tokens?: TokenVerifier;
  /**
   * AUTH_DISABLED: every request acts as DISABLED_PRINCIPAL, with every role. Only for measuring
   * the same build without authentication, on loopback (src/config.ts refuses it anywhere else).
   */
  readonly disabled?: boolean;
  readonly now?: () => number;
}

/** Who every request is when authentication is off (AUTH_DISABLED): records name it as such. */
export const DISABLED_PRINCIPAL: Principal = { id: 'auth-disabled', name: 'AUTH_DISABLED', roles: new Set(['admin']) };

/** The bearer challenge's `error` when a token was sent and refused (RFC 6750 §3.1). */
export const INVALID_TOKEN = 'invalid_token';

// A header longer than this is no credential of ours or any identity provider's.
const MAX_TOKEN_LENGTH = 8192;

function refused(message: string): CertificateError {
  return new CertificateError('unauthenticated', message, { details: { bearerError: INVALID_TOKEN } });
}

/**
 * Says who sent a request from its `Authorization: Bearer <token>` header: a token with the API-key
 * prefix is checked against the keys, any other against the token verifier. Resolves undefined when
 * no credentials came (the route then decides whether it needs any); rejects with `unauthenticated`
 * when credentials came and are not valid.
 */
export class Authenticator {
  private readonly now: () => number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.now = options.now ?? Date.now;
  }

  async authenticate(authorization: string | undefined): Promise<Principal | undefined> {
    if (this.options.disabled === true) return DISABLED_PRINCIPAL;
    if (authorization === undefined || authorization === '') return undefined;
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (match === null) {
      throw new CertificateError(
        'unauthenticated',
        'Expected Authorization: Bearer <API key or token>, got another scheme or a malformed header',
      );
    }
    const token = match[1]!;
    if (token.length > MAX_TOKEN_LENGTH)
      throw refused(`Expected a bearer token of at most ${MAX_TOKEN_LENGTH} characters, got ${token.length}`);
    if (looksLikeApiKey(token)) return this.apiKey(token);
    if (this.options.tokens === undefined) throw refused('Expected an API key (stc_…); this service accepts no other bearer tokens');
    try {
      return await this.options.tokens.verify(token);
    } catch (error) {
      // The verifier says why; the client must also learn that it is the token that was refused.
      if (isCertificateError(error) && error.code === 'unauthenticated') throw refused(error.message);
      throw error;
    }
  }

  /** Whether the API key `keyId` is still in the keys file and unexpired: a console session opened with it lasts no longer. */
  keyInForce(keyId: string): boolean {
    const key = this.options.keys?.find(keyId);
    return key !== undefined && this.now() < key.expiresAtMs;
  }

  private apiKey(token: string): Principal {
    const parsed = parseApiKey(token);
    if (parsed === undefined) throw refused('Expected an API key of the form stc_<key id>_<secret>, got a malformed one');
    const key = this.options.keys?.find(parsed.id);
    // Unknown and wrong secret answer alike: a caller learns nothing about which keys exist.
    if (key === undefined || !secretMatches(key, parsed.secret)) throw refused('Unknown or revoked API key');
    if (this.now() >= key.expiresAtMs) throw refused(`API key ${key.record.id} expired at ${key.record.expiresAt}`);
    return key.principal;
  }
}
