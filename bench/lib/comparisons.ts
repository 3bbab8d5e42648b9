import { AUTHORIZATION } from '../../test/support/credentials.js';
import { AUTH_MODES, authCredentials } from './auth-cost.js';
import type { ScenarioResult } from './model.js';
import type { Step } from './options.js';
import type { Load } from './scenarios.js';

/** The loads a comparison is measured under (ab only with the `ab` step). */
export type ComparedLoad = Extract<Load, 'usual' | 'many' | 'ab'>;

/** What each variant's service is started with and what its load sends; `stop` ends what was started for them. */
export interface VariantSettings<V extends string = string> {
  readonly env: Readonly<Record<V, Readonly<Record<string, string>>>>;
  readonly headers: Readonly<Record<V, Readonly<Record<string, string>>>>;
  stop(): Promise<void>;
}

/**
 * One build started as a few variants that differ by one setting, each a service on a topic of its
 * own (two instances on one topic would elect one writer and forward to it), measured in turns under
 * the same loads; each variant's throughput and p99 are read over the first variant's, the reference,
 * under the same load.
 */
export interface Comparison<V extends string = string> {
  readonly step: Extract<Step, 'auth' | 'signing'>;
  /** The reference first. */
  readonly variants: readonly [V, ...V[]];
  readonly labels: Readonly<Record<V, string>>;
  /** Each variant's scenario id under each load. */
  readonly ids: Readonly<Record<ComparedLoad, Readonly<Record<V, string>>>>;
  settings(): Promise<VariantSettings<V>>;
}

/**
 * Authentication's cost: with it off (AUTH_DISABLED=1), with an API key, and with a JWT access token
 * from a real OpenID provider (auth-cost.ts).
 */
export const AUTH_COST: Comparison<(typeof AUTH_MODES)[number]> = {
  step: 'auth',
  variants: AUTH_MODES,
  labels: {
    off: 'service, class CS, authentication off',
    key: 'service, class CS, API key',
    jwt: 'service, class CS, JWT from an OpenID provider',
  },
  ids: {
    usual: { off: 'u-off', key: 'u-key', jwt: 'u-jwt' },
    many: { off: 'u-off-many', key: 'u-key-many', jwt: 'u-jwt-many' },
    ab: { off: 'ab-off', key: 'ab-key', jwt: 'ab-jwt' },
  },
  settings: () => authCredentials(new Set(AUTH_MODES)),
};

/**
 * Signing's cost: the same build writing unsigned records (SIGNING_DISABLED=1) and signing every
 * write with the bench's key (SIGNING_KEY_FILE, which every service the bench starts is given:
 * test/support/credentials.ts; SIGNING_DISABLED=0 so that a bench run with it set still signs here),
 * both loads sending the test admin's API key.
 */
export const SIGNING_COST: Comparison<'unsigned' | 'signed'> = {
  step: 'signing',
  variants: ['unsigned', 'signed'],
  labels: { unsigned: 'service, class CS, unsigned (SIGNING_DISABLED=1)', signed: 'service, class CS, signed' },
  ids: {
    usual: { unsigned: 's-unsigned', signed: 's-signed' },
    many: { unsigned: 's-unsigned-many', signed: 's-signed-many' },
    ab: { unsigned: 'ab-unsigned', signed: 'ab-signed' },
  },
  settings: () =>
    Promise.resolve({
      env: { unsigned: { SIGNING_DISABLED: '1' }, signed: { SIGNING_DISABLED: '0' } },
      headers: { unsigned: AUTHORIZATION, signed: AUTHORIZATION },
      stop: () => Promise.resolve(),
    }),
};

export const COMPARISONS: readonly Comparison[] = [AUTH_COST, SIGNING_COST];

/** The reference scenario's id for a scenario of a comparison under the same load, if it is one and not the reference. */
function referenceOf(id: string): string | undefined {
  for (const comparison of COMPARISONS) {
    for (const ids of Object.values<Readonly<Record<string, string>>>(comparison.ids)) {
      const variant = comparison.variants.find((each) => ids[each] === id);
      if (variant !== undefined) return variant === comparison.variants[0] ? undefined : ids[comparison.variants[0]];
    }
  }
  return undefined;
}

/**
 * Each compared scenario's throughput and p99 over its reference's under the same load (none when
 * that one was not measured).
 */
export function withReferenceRatios(scenarios: readonly ScenarioResult[]): ScenarioResult[] {
  return scenarios.map((scenario) => {
    const id = referenceOf(scenario.id);
    const reference = scenarios.find((each) => each.id === id);
    if (reference === undefined || reference.requestsPerSecond === 0) return scenario;
    return {
      ...scenario,
      reference: reference.id,
      ratioToReference: scenario.requestsPerSecond / reference.requestsPerSecond,
      p99OverReference: scenario.latencyMs.p99 / reference.latencyMs.p99,
    };
  });
}
