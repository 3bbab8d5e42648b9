import { startOidcProvider, TEST_AUDIENCE, type TestProvider } from '../../test/support/oidc-provider.js';
import { AUTHORIZATION } from '../../test/support/credentials.js';

/**
 * Authentication's cost: one build measured with authentication off (AUTH_DISABLED=1), with an API
 * key, and with a JWT access token from a real OpenID provider, each a service of its own on a
 * topic of its own (comparisons.ts), and in the side-by-side (side-by-side.ts).
 */
export const AUTH_MODES = ['off', 'key', 'jwt'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** What a service with each mode is started with and what its load sends; `stop` ends the provider, if one was started. */
export interface AuthCredentials {
  readonly env: Readonly<Record<AuthMode, Readonly<Record<string, string>>>>;
  readonly headers: Readonly<Record<AuthMode, Readonly<Record<string, string>>>>;
  stop(): Promise<void>;
}

/** Longer than any bench run, so no token expires under load (the provider's default is ten minutes). */
const TOKEN_TTL_SECONDS = 4 * 3600;

/**
 * Starts the OpenID provider (only when `jwt` is wanted) and fetches one access token from it for
 * the `issuer` client, whose roles include certificates:issue. Off sends no credentials at all; the
 * key is the test admin's, which every service the bench starts accepts (startChild).
 */
export async function authCredentials(modes: ReadonlySet<AuthMode>): Promise<AuthCredentials> {
  let provider: TestProvider | undefined;
  let jwt: Readonly<Record<string, string>> = {};
  let jwtHeaders: Readonly<Record<string, string>> = {};
  if (modes.has('jwt')) {
    provider = await startOidcProvider({ accessTokenTtlSeconds: TOKEN_TTL_SECONDS });
    jwt = { OIDC_ISSUER: provider.issuer, OIDC_AUDIENCE: TEST_AUDIENCE, OIDC_ROLES_CLAIM: 'roles' };
    jwtHeaders = { authorization: `Bearer ${await provider.token('issuer')}` };
  }
  return {
    env: { off: { AUTH_DISABLED: '1' }, key: {}, jwt },
    headers: { off: {}, key: AUTHORIZATION, jwt: jwtHeaders },
    stop: async () => {
      await provider?.stop();
    },
  };
}
