// The `oidc-provider` package ships no types: the little of it the test provider uses (oidc-provider-process.ts).
declare module 'oidc-provider' {
  import type Koa from 'koa';

  interface ResourceServer {
    readonly scope: string;
    readonly audience?: string;
    readonly accessTokenFormat?: 'jwt' | 'opaque';
    readonly accessTokenTTL?: number;
  }

  interface Configuration {
    readonly clients: readonly Readonly<Record<string, unknown>>[];
    readonly jwks: { readonly keys: readonly Readonly<Record<string, unknown>>[] };
    readonly features: {
      readonly devInteractions: { readonly enabled: boolean };
      readonly clientCredentials: { readonly enabled: boolean };
      readonly resourceIndicators: {
        readonly enabled: boolean;
        readonly defaultResource: (ctx: Koa.Context, client: unknown, oneOf?: string) => string | undefined;
        readonly getResourceServerInfo: (ctx: Koa.Context, resource: string, client: unknown) => ResourceServer;
      };
    };
    readonly ttl?: Readonly<Record<string, number | ((ctx: Koa.Context, token: { resourceServer?: ResourceServer }) => number)>>;
    readonly extraTokenClaims: (ctx: Koa.Context, token: { readonly clientId?: string }) => Record<string, unknown>;
  }

  export default class Provider extends Koa {
    constructor(issuer: string, configuration: Configuration);
  }
}
