/** The test provider's clients and options, shared by its process (oidc-provider-process.ts) and the helper that starts it (oidc-provider.ts). */

/** What each client's tokens say it may do; `payroll:approve` is a role the service does not know. */
export const CLIENT_ROLES = {
  issuer: ['certificates:issue', 'certificates:read', 'payroll:approve'],
  reader: ['certificates:read'],
  nobody: undefined,
} as const satisfies Readonly<Record<string, readonly string[] | undefined>>;

export type ClientId = keyof typeof CLIENT_ROLES;

/** The console's client (authorization code with PKCE), registered when the test names its redirect URIs. */
export const CONSOLE_CLIENT = 'console';

/**
 * People who sign in to the console, by account id (their `sub`), and the roles their access tokens
 * carry. A sign-in picks one by `login_hint` (no page shown), or on the provider's one-field login page.
 */
export const USER_ROLES = {
  secretary: ['certificates:issue', 'certificates:read', 'certificates:transfer', 'certificates:cancel', 'classes:adjust'],
  auditor: ['certificates:read', 'audit:read'],
  reader: ['certificates:read'],
} as const satisfies Readonly<Record<string, readonly string[]>>;

export type UserId = keyof typeof USER_ROLES;

/** Every client's secret: these clients exist only in a test's provider. */
export const clientSecret = (clientId: string): string => `${clientId}-secret-for-tests-only`;

export interface ProviderOptions {
  /** Lifetime of its access tokens; ten minutes otherwise. */
  readonly accessTokenTtlSeconds?: number;
  /** Puts `nbf` this many seconds after issuance on every token (none otherwise). */
  readonly notBeforeOffsetSeconds?: number;
  /** The console client's redirect URIs (`<service>/console/oidc/callback`); no console client without them. */
  readonly consoleRedirectUris?: readonly string[];
}

/** What the process is started with, as one JSON argument. */
export interface ProviderProcessSettings extends ProviderOptions {
  readonly port: number;
}
