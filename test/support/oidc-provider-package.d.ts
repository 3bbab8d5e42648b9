// The `oidc-provider` package ships no types: the little of it the test provider uses (oidc-provider-process.ts).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
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
    readonly extraTokenClaims: (
      ctx: Koa.Context,
      token: { readonly clientId?: string; readonly accountId?: string },
    ) => Record<string, unknown>;
    readonly findAccount: (
      ctx: Koa.Context,
      sub: string,
    ) => { readonly accountId: string; readonly claims: () => Record<string, unknown> } | undefined;
  }

  interface InteractionDetails {
    readonly uid: string;
    readonly params: Readonly<Record<string, unknown>>;
    readonly session?: { readonly accountId?: string };
    readonly prompt: {
      readonly name: string;
      readonly details: {
        readonly missingOIDCScope?: string[];
        readonly missingOIDCClaims?: string[];
        readonly missingResourceScopes?: Record<string, string[]>;
      };
    };
  }

  class Grant {
    constructor(properties: { readonly accountId: string; readonly clientId: string });
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export default class Provider extends Koa {
    constructor(issuer: string, configuration: Configuration);
    readonly Grant: typeof Grant;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { readonly mergeWithLastSubmission?: boolean },
    ): Promise<void>;
  }
}
