/**
 * A real OpenID provider for tests: `startOidcProvider()` runs test/support/oidc-provider-process.ts
 * (the `oidc-provider` package) as a process of its own on a free loopback port, and gets access
 * tokens from it over HTTP by the client-credentials grant. Its clients, by id:
 *
 * - `issuer`: roles `certificates:issue`, `certificates:read` and `payroll:approve` (unknown to the service);
 * - `reader`: role `certificates:read`;
 * - `nobody`: no roles claim at all.
 *
 * Tokens are JWTs (RS256, `typ: at+jwt`) for the audience asked for (`TEST_AUDIENCE` unless told),
 * carrying the roles twice: in `roles` and in Keycloak's `realm_access.roles`; `sub` is the client id.
 *
 * ```ts
 * const provider = await startOidcProvider();
 * const env = { OIDC_ISSUER: provider.issuer, OIDC_AUDIENCE: TEST_AUDIENCE };
 * const token = await provider.token('issuer'); // Authorization: Bearer <token>
 * await provider.stop();
 * ```
 *
 * It needs no vitest: the bench can use it too.
 */
import { startChild, type Child } from './child-process.js';
import { clientSecret, type ClientId, type ProviderOptions, type ProviderProcessSettings } from './oidc-clients.js';
import { freePort } from './free-port.js';

export { CLIENT_ROLES, type ClientId, type ProviderOptions } from './oidc-clients.js';

/** The audience (resource indicator) tokens are for unless `token` is told another. */
export const TEST_AUDIENCE = 'https://certificates.test';

export interface TestProvider {
  /** `http://127.0.0.1:<port>`: OIDC_ISSUER for the service. */
  readonly issuer: string;
  /** A new access token for the client from the provider's token endpoint, for `resource` (TEST_AUDIENCE unless told). */
  token(clientId: ClientId, options?: { readonly resource?: string }): Promise<string>;
  /**
   * Restarts the provider (or starts it again after `stop()`) on the same port with a new signing key:
   * tokens from now on carry a `kid` it never published before, and it no longer publishes the old one.
   */
  rotateKey(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOidcProvider(options: ProviderOptions = {}): Promise<TestProvider> {
  const settings: ProviderProcessSettings = { ...options, port: await freePort() };
  const start = (): Promise<Child> =>
    startChild({
      name: 'oidc-provider',
      args: ['--import', 'tsx', 'test/support/oidc-provider-process.ts', JSON.stringify(settings)],
      port: settings.port,
      readyTimeoutMs: 30_000,
    });
  let child = await start();
  return {
    issuer: child.url,
    async token(clientId, { resource = TEST_AUDIENCE } = {}) {
      const response = await fetch(`${child.url}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret(clientId)}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || body.access_token === undefined)
        throw new Error(`The provider answered ${response.status} for ${clientId}: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async rotateKey() {
      await child.stop();
      child = await start();
    },
    async stop() {
      await child.stop();
    },
  };
}
