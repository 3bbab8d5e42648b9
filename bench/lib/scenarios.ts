/** What each service scenario sends. The service's answer, not the body, is what differs. */
export function issueBody(shareClass: string, amount = 1): { name: string; amount: number; class: string } {
  return { name: 'Salt Bae', amount, class: shareClass };
}

/** The loads a service scenario is measured under; a baseline is measured under each load it has a scenario for. */
export type Load = 'usual' | 'keyed' | 'many' | 'ab';

/**
 * Each baseline's scenario under each load: bare Koa, the edge's ceiling, and durable Koa, bare Koa
 * answering after a Kafka commit as the service writes one (bench/servers/koa-durable.ts). A service
 * scenario's throughput is read over both, under the same load.
 */
export const BASELINES = {
  koa: { usual: "a'", keyed: "a'-keyed", many: "a'-many", ab: 'ab-koa' },
  durable: { usual: 'd', keyed: 'd-keyed', many: 'd-many', ab: 'ab-d' },
} as const satisfies Record<string, Record<Load, string>>;

export interface ServiceScenario {
  readonly id: string;
  readonly label: string;
  readonly bodies: readonly object[];
  /** Connections other than the usual: the many-connections run. */
  readonly many?: boolean;
  /** What the warm-up sends, when it must not be what is measured. */
  readonly warmupBodies?: readonly object[];
  /** Every request carries an Idempotency-Key of its own, as the typed client sends. */
  readonly keyed?: boolean;
}

export const SERVICE_SCENARIOS: readonly ServiceScenario[] = [
  { id: 'b-CS', label: 'service, class CS', bodies: [issueBody('CS')] },
  // Beside b-CS, so the cost of remembering a key per certificate is read as a ratio of one run.
  { id: 'b-keyed', label: 'service, class CS, a new Idempotency-Key each', bodies: [issueBody('CS')], keyed: true },
  { id: 'b-PS', label: 'service, class PS', bodies: [issueBody('PS')] },
  { id: 'b-mixed', label: 'service, CS and PS alternating', bodies: [issueBody('CS'), issueBody('PS')] },
  { id: 'b-many', label: 'service, class CS', bodies: [issueBody('CS')], many: true },
];

export function loadOf(scenario: ServiceScenario): Load {
  return scenario.keyed ? 'keyed' : scenario.many ? 'many' : 'usual';
}

/** Large enough that no run of any length here exhausts a class, and a safe integer. */
export const UNLIMITED_SHARE_CLASSES = 'CS=1000000000000000,PS=1000000000000000';

export const EXHAUSTION_AMOUNT = 7;
const FALLBACK_EXHAUSTION_TOTAL = 50_000;
/** A class of its own for the warm-up, so warming up spends none of the measured classes' shares. */
const WARMUP_CLASS = 'WARMUP';

export const EXHAUSTION_SCENARIO: ServiceScenario = {
  id: 'c',
  label: `service until CS and PS run out (amount ${EXHAUSTION_AMOUNT}, then 409)`,
  bodies: [issueBody('CS', EXHAUSTION_AMOUNT), issueBody('PS', EXHAUSTION_AMOUNT)],
  warmupBodies: [issueBody(WARMUP_CLASS, EXHAUSTION_AMOUNT)],
};

/**
 * Authorized shares per class such that, at the mixed scenario's measured throughput, both classes
 * run out a quarter into the measured window: a run up to 2.5 times slower (this machine is shared
 * and noisy) still measures both 201s and 409s. Without a mixed measurement a fixed total is used.
 */
export function exhaustionShareClasses(mixedRequestsPerSecond: number | undefined, measureSeconds: number): string {
  const perClass =
    mixedRequestsPerSecond === undefined
      ? FALLBACK_EXHAUSTION_TOTAL
      : Math.max(EXHAUSTION_AMOUNT, Math.round(((mixedRequestsPerSecond * measureSeconds) / 4 / 2) * EXHAUSTION_AMOUNT));
  return `CS=${perClass},PS=${perClass},${WARMUP_CLASS}=1000000000000000`;
}
