import { startOidcProvider, TEST_AUDIENCE, type TestProvider } from '../../test/support/oidc-provider.js';
import { AUTHORIZATION } from '../../test/support/credentials.js';
import type { ScenarioResult } from './model.js';
import type { Load } from './scenarios.js';

/**
 * Authentication's cost: one build measured with authentication off (AUTH_DISABLED=1), with an API
 * key, and with a JWT access token from a real OpenID provider, each a service of its own on a
 * topic of its own (two instances on one topic would elect one writer and forward to it).
 */
export const AUTH_MODES = ['off', 'key', 'jwt'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** The loads authentication's cost is measured under, and each mode's scenario id under them. */
export const AUTH_SCENARIO_IDS = {
  usual: { off: 'u-off', key: 'u-key', jwt: 'u-jwt' },
  many: { off: 'u-off-many', key: 'u-key-many', jwt: 'u-jwt-many' },
  ab: { off: 'ab-off', key: 'ab-key', jwt: 'ab-jwt' },
} as const satisfies Partial<Record<Load, Record<AuthMode, string>>>;

export type AuthLoad = keyof typeof AUTH_SCENARIO_IDS;

export const AUTH_LABELS: Readonly<Record<AuthMode, string>> = {
  off: 'service, class CS, authentication off',
  key: 'service, class CS, API key',
  jwt: 'service, class CS, JWT from an OpenID provider',
};

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

/** Which mode and load a scenario id stands for, if it is one of authentication's cost. */
function modeOf(id: string): { readonly load: AuthLoad; readonly mode: AuthMode } | undefined {
  for (const [load, ids] of Object.entries(AUTH_SCENARIO_IDS) as Array<[AuthLoad, Record<AuthMode, string>]>) {
    const mode = AUTH_MODES.find((each) => ids[each] === id);
    if (mode !== undefined) return { load, mode };
  }
  return undefined;
}

/**
 * Each authenticated scenario's throughput and p99 over the same build's with authentication off,
 * under the same load (undefined when that one was not measured).
 */
export function withAuthRatios(scenarios: readonly ScenarioResult[]): ScenarioResult[] {
  return scenarios.map((scenario) => {
    const which = modeOf(scenario.id);
    if (which === undefined || which.mode === 'off') return scenario;
    const off = scenarios.find((each) => each.id === AUTH_SCENARIO_IDS[which.load].off);
    if (off === undefined || off.requestsPerSecond === 0) return scenario;
    return {
      ...scenario,
      ratioToAuthOff: scenario.requestsPerSecond / off.requestsPerSecond,
      p99OverAuthOff: scenario.latencyMs.p99 / off.latencyMs.p99,
    };
  });
}
