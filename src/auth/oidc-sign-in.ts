import { createHash } from 'node:crypto';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { isCertificateError } from '../core/errors.js';
import { principalId, type Principal } from '../core/principal.js';
import type { Logger } from '../monitoring/logger.js';
import { TOKEN_ALGORITHMS, type OidcSettings } from './oidc.js';
import { boundedFetch, describeFailure, discoverProvider, type ProviderMetadata } from './oidc-discovery.js';
import { randomToken, type SignInFlow } from './session.js';
import type { TokenVerifier } from './token-verifier.js';

/** The console's client at the provider (OIDC_CONSOLE_CLIENT_ID, OIDC_CONSOLE_CLIENT_SECRET_FILE, OIDC_CONSOLE_SCOPE). */
export interface ConsoleClientSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  /** What the authorization request asks for: `openid`, and whatever the provider needs to issue an access token for OIDC_AUDIENCE. */
  readonly scope: string;
}

/**
 * Why a sign-in failed, as the sign-in page may show it: a closed list, so that nothing the provider
 * or a request carried (a code, a token, a description) reaches the page.
 */
export const SIGN_IN_FAILURES = [
  'invalid_key',
  'provider_unavailable',
  'provider_refused',
  'state_mismatch',
  'sign_in_expired',
  'token_invalid',
] as const;

export type SignInFailure = (typeof SIGN_IN_FAILURES)[number];

export class SignInError extends Error {
  constructor(
    readonly failure: SignInFailure,
    /** For the log: what went wrong, never a secret. */
    readonly detail: string,
  ) {
    super(`${failure}: ${detail}`);
    this.name = 'SignInError';
  }
}

type Discovered = ProviderMetadata & { readonly authorizationEndpoint: URL; readonly tokenEndpoint: URL; readonly keys: JWTVerifyGetKey };

/**
 * The console's sign-in with the identity provider: the authorization code flow with PKCE (S256),
 * `state` and `nonce` (OpenID Connect Core §3.1, RFC 7636). The ID token proves the sign-in was for
 * this flow (its signature, issuer, audience = the console's client, nonce); the access token, checked
 * by the verifier that checks bearer tokens (src/auth/oidc.ts), gives the principal and its roles, so
 * a session has exactly the roles the same person's API calls would.
 */
export class OidcSignIn {
  private discovered: Promise<Discovered> | undefined;

  constructor(
    private readonly oidc: OidcSettings,
    private readonly client: ConsoleClientSettings,
    private readonly tokens: TokenVerifier,
    private readonly logger: Logger,
  ) {}

  /** What the sign-in page calls the provider: its host. */
  get providerName(): string {
    return new URL(this.oidc.issuer).host;
  }

  /** Where to send the browser, and what its callback must find again (sealed in a cookie by the edge). */
  async start(redirectUri: string): Promise<{ readonly location: string; readonly flow: SignInFlow }> {
    const { authorizationEndpoint } = await this.provider();
    const flow: SignInFlow = { state: randomToken(), nonce: randomToken(), verifier: randomToken() };
    const url = new URL(authorizationEndpoint);
    const parameters = {
      response_type: 'code',
      client_id: this.client.clientId,
      redirect_uri: redirectUri,
      scope: this.client.scope,
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: createHash('sha256').update(flow.verifier).digest('base64url'),
      code_challenge_method: 'S256',
      // RFC 8707: the access token is for this service, as the bearer tokens it takes are.
      resource: this.oidc.audience,
    };
    for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
    return { location: url.href, flow };
  }

  /** Exchanges the code for tokens, checks both, and gives the principal they prove. */
  async finish(code: string, flow: SignInFlow, redirectUri: string): Promise<Principal> {
    const { tokenEndpoint, keys } = await this.provider();
    const { clientId, clientSecret } = this.client;
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: flow.verifier,
      resource: this.oidc.audience,
    });
    // client_secret_basic (RFC 6749 §2.3.1): both parts form-encoded first.
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    let answer: { id_token?: unknown; access_token?: unknown; error?: unknown };
    try {
      const response = await boundedFetch(tokenEndpoint.href, {
        method: 'POST',
        body,
        headers: new Headers({ authorization: `Basic ${basic}`, accept: 'application/json' }),
      });
      answer = (await response.json()) as typeof answer;
      if (!response.ok) {
        const why = typeof answer.error === 'string' && /^[a-z_]{1,40}$/.test(answer.error) ? answer.error : 'an error';
        throw new SignInError('provider_refused', `the token endpoint answered ${response.status} (${why})`);
      }
    } catch (error) {
      if (error instanceof SignInError) throw error;
      throw new SignInError('provider_unavailable', `the token endpoint could not be reached: ${describeFailure(error)}`);
    }
    const { id_token: idToken, access_token: accessToken } = answer;
    if (typeof idToken !== 'string' || typeof accessToken !== 'string')
      throw new SignInError('token_invalid', 'the token endpoint gave no ID token or no access token');
    let subject: string;
    try {
      const { payload } = await jwtVerify(idToken, keys, {
        issuer: this.oidc.issuer,
        audience: clientId,
        algorithms: TOKEN_ALGORITHMS,
        clockTolerance: this.oidc.clockSkewSeconds,
        requiredClaims: ['exp', 'iat', 'sub', 'nonce'],
      });
      if (payload.nonce !== flow.nonce) throw new SignInError('token_invalid', 'the ID token carries another nonce than this sign-in sent');
      subject = payload.sub!;
    } catch (error) {
      if (error instanceof SignInError) throw error;
      // jose's messages name the check that failed, never the token.
      throw new SignInError('token_invalid', `the ID token: ${error instanceof errors.JOSEError ? error.message : 'unreadable'}`);
    }
    let principal: Principal;
    try {
      principal = await this.tokens.verify(accessToken);
    } catch (error) {
      throw new SignInError('token_invalid', `the access token: ${isCertificateError(error) ? error.message : 'unreadable'}`);
    }
    if (principal.id !== principalId.token(this.oidc.issuer, subject))
      throw new SignInError('token_invalid', 'the ID token and the access token name different subjects');
    return principal;
  }

  /** The provider's endpoints and keys, discovered once; a failed discovery is tried again at the next sign-in. */
  private provider(): Promise<Discovered> {
    this.discovered ??= discoverProvider(this.oidc.issuer).then(
      (metadata) => {
        const { authorizationEndpoint, tokenEndpoint } = metadata;
        if (authorizationEndpoint === undefined || tokenEndpoint === undefined)
          throw new Error('its discovery document gives no trusted authorization_endpoint or token_endpoint');
        const keys = createRemoteJWKSet(metadata.jwksUri, { [customFetch]: boundedFetch });
        return { ...metadata, authorizationEndpoint, tokenEndpoint, keys };
      },
      (error: unknown) => {
        throw new Error(describeFailure(error));
      },
    );
    return this.discovered.catch((error: unknown) => {
      this.discovered = undefined;
      this.logger.error({ issuer: this.oidc.issuer, error: (error as Error).message }, 'console sign-in: OpenID provider discovery failed');
      throw new SignInError('provider_unavailable', (error as Error).message);
    });
  }
}
