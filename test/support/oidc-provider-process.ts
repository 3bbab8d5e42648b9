/**
 * A real OpenID provider (the `oidc-provider` package) as a process of its own, for tests: started
 * by test/support/oidc-provider.ts with its settings as one JSON argument (ProviderProcessSettings),
 * it listens on 127.0.0.1 and issues JWT access tokens by the client-credentials grant, and, to the
 * console's client, by the authorization code grant with PKCE for the people of USER_ROLES. Each
 * start makes a new RSA signing key, so a restart on the same port is the provider rotating its key.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';
import type { Context, Next } from 'koa';
import {
  CLIENT_ROLES,
  clientSecret,
  CONSOLE_CLIENT,
  USER_ROLES,
  type ClientId,
  type ProviderProcessSettings,
  type UserId,
} from './oidc-clients.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as ProviderProcessSettings;
const issuer = `http://127.0.0.1:${settings.port}`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };

const isUser = (id: unknown): id is UserId => typeof id === 'string' && Object.hasOwn(USER_ROLES, id);

const consoleClient =
  settings.consoleRedirectUris === undefined
    ? []
    : [
        {
          client_id: CONSOLE_CLIENT,
          client_secret: clientSecret(CONSOLE_CLIENT),
          grant_types: ['authorization_code'],
          response_types: ['code'],
          redirect_uris: settings.consoleRedirectUris,
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ];

const provider = new Provider(issuer, {
  clients: [
    ...Object.keys(CLIENT_ROLES).map((clientId) => ({
      client_id: clientId,
      client_secret: clientSecret(clientId),
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    })),
    ...consoleClient,
  ],
  findAccount: (_ctx, sub) => (isUser(sub) ? { accountId: sub, claims: () => ({ sub }) } : undefined),
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
    const roles: readonly string[] | undefined = isUser(token.accountId)
      ? USER_ROLES[token.accountId]
      : Object.hasOwn(CLIENT_ROLES, token.clientId ?? '')
        ? CLIENT_ROLES[token.clientId as ClientId]
        : undefined;
    const notBefore =
      settings.notBeforeOffsetSeconds === undefined ? {} : { nbf: Math.floor(Date.now() / 1000) + settings.notBeforeOffsetSeconds };
    return { ...notBefore, ...(roles === undefined ? {} : { roles, realm_access: { roles } }) };
  },
});

/**
 * The sign-in and consent pages, answered without a person: the account is the authorization
 * request's `login_hint`, else the one posted from a one-field page (a browser test fills it in);
 * consent is given to whatever the client asked. What a real provider's pages decide, a test names.
 */
async function interaction(ctx: Context, next: Next): Promise<void> {
  const match = /^\/interaction\/([\w-]+)$/.exec(ctx.path);
  if (match === null) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params } = details;
  let result: Record<string, unknown>;
  if (prompt.name === 'login') {
    let account: unknown = params.login_hint;
    if (ctx.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      account = new URLSearchParams(Buffer.concat(chunks).toString()).get('login');
    }
    if (!isUser(account)) {
      ctx.type = 'text/html';
      ctx.body = `<!doctype html><html lang="en"><head><title>Test provider sign-in</title></head><body><form method="post" action="${ctx.path}"><label for="login">Account (${Object.keys(USER_ROLES).join(', ')})</label><input id="login" name="login" autofocus><button type="submit">Sign in</button></form></body></html>`;
      return;
    }
    result = { login: { accountId: account } };
  } else {
    const grant = new provider.Grant({ accountId: details.session!.accountId!, clientId: params.client_id as string });
    const missing = prompt.details;
    if (missing.missingOIDCScope !== undefined) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims !== undefined) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(resource, scopes.join(' '));
    result = { consent: { grantId: await grant.save() } };
  }
  ctx.respond = false;
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
}

provider.use(interaction);
provider.listen(settings.port, '127.0.0.1');
