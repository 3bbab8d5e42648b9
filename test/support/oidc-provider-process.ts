/**
 * A real OpenID provider (the `oidc-provider` package) as a process of its own, for tests: started
 * by test/support/oidc-provider.ts with its settings as one JSON argument (ProviderProcessSettings),
 * it listens on 127.0.0.1 and issues JWT access tokens by the client-credentials grant. Each start
 * makes a new RSA signing key, so a restart on the same port is the provider rotating its key.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';
import { CLIENT_ROLES, clientSecret, type ClientId, type ProviderProcessSettings } from './oidc-clients.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as ProviderProcessSettings;
const issuer = `http://127.0.0.1:${settings.port}`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: Object.keys(CLIENT_ROLES).map((clientId) => ({
    client_id: clientId,
    client_secret: clientSecret(clientId),
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
  })),
  jwks: { keys: [signingKey] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // A token request without `resource` gets a token for nothing: the tests name the audience.
      defaultResource: (_ctx, _client, oneOf) => oneOf,
      getResourceServerInfo: (_ctx, resource) => ({
        scope: 'certificates',
        audience: resource,
        accessTokenFormat: 'jwt',
        ...(settings.accessTokenTtlSeconds === undefined ? {} : { accessTokenTTL: settings.accessTokenTtlSeconds }),
      }),
    },
  },
  // The resource server's lifetime when the test set one, the provider's ten minutes otherwise (and no notice that it is a default).
  ttl: { ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 600 },
  // Roles as two common providers carry them: a top-level `roles` array, and Keycloak's `realm_access.roles`.
  extraTokenClaims: (_ctx, token) => {
    const roles: readonly string[] | undefined = Object.hasOwn(CLIENT_ROLES, token.clientId ?? '')
      ? CLIENT_ROLES[token.clientId as ClientId]
      : undefined;
    const notBefore =
      settings.notBeforeOffsetSeconds === undefined ? {} : { nbf: Math.floor(Date.now() / 1000) + settings.notBeforeOffsetSeconds };
    return { ...notBefore, ...(roles === undefined ? {} : { roles, realm_access: { roles } }) };
  },
});

provider.listen(settings.port, '127.0.0.1');
