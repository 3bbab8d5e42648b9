import type { Load } from './scenarios.js';

/** The shape of one bench run, as printed, charted and written to bench/results/*.json. */
export interface Latency {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  /** Absent where the tool does not report it (ab stops at p99). */
  readonly p99_9?: number;
  readonly max: number;
}

export interface ScenarioResult {
  /**
   * a, a', a'-keyed, a'-many, ab-koa, d, d-keyed, d-many, ab-d, k, b-CS, b-keyed, b-PS, b-mixed, b-many, c, ab;
   * the comparisons' (comparisons.ts): authentication's cost u-off, u-key, u-jwt, u-off-many, u-key-many, u-jwt-many,
   * ab-off, ab-key, ab-jwt; signing's cost s-unsigned, s-signed, s-unsigned-many, s-signed-many, ab-unsigned, ab-signed;
   * the lifecycle's (lifecycle.ts) e-issue, e-transfer
   */
  readonly id: string;
  readonly label: string;
  /** `client`: the bench's own closed loop (lifecycle.ts), where every request names another certificate. */
  readonly tool: 'autocannon' | 'ledger' | 'ab' | 'client';
  readonly requestsPerSecond: number;
  readonly latencyMs: Latency;
  readonly total: number;
  /** Responses by HTTP status, e.g. { "201": 81234, "409": 1200 }. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly serviceRssMaxMiB?: number;
  /**
   * CPU time of the server's process (all threads, user and system) over the measured burst, per
   * response: the figure that travels between machines, where throughput ratios do not.
   */
  readonly serverCpuUsPerRequest?: number;
  /**
   * A signing service's time spent sealing writes (hashing their records, signing their heads:
   * `certificates_seal_duration_seconds`) over the measured bursts' wall time. Every request waits
   * for the seal of its write on the service's one thread, so while that thread sets the pace (at 20
   * connections it runs one write at a time), the scenario's throughput over its unsigned reference
   * cannot exceed 1 − this share, however the rest of signing is built (docs/benchmark.md, "Signing's floor").
   */
  readonly sealShare?: number;
  /** For a service scenario: the load it ran under, which names the baselines it is compared with (BASELINES). */
  readonly load?: Load;
  /** A service scenario's throughput over (a)'s, and over bare Koa's and durable Koa's under the same load. */
  readonly ratioToRaw?: number;
  readonly ratioToKoa?: number;
  readonly ratioToDurable?: number;
  /**
   * A compared scenario's reference (comparisons.ts): the same build with authentication off, or
   * unsigned, under the same load; its throughput over the reference's, and its p99 over the
   * reference's (above 1 is slower).
   */
  readonly reference?: string;
  readonly ratioToReference?: number;
  readonly p99OverReference?: number;
}

export interface AuditResult {
  readonly topic: string;
  readonly status: 'clean' | 'violations' | 'skipped';
  readonly exitCode?: number;
  /** Writes signed by a trusted key, as the audit counted them (0: an unsigned log). */
  readonly signedWrites?: number;
  readonly tail: string;
}

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly java: string;
  readonly kernel: string;
}

/** What the broker was given before any scenario, and how much faster it answered by the end. */
export interface BrokerWarmup {
  readonly produces: number;
  readonly recordsPerProduce: number;
  readonly seconds: number;
  /** Mean round trip of the first and of the last 2,000 produces. */
  readonly firstMsEach: number;
  readonly lastMsEach: number;
}

export interface BenchRun {
  readonly startedAt: string;
  readonly machine: Machine;
  readonly settings: {
    readonly connections: number;
    readonly warmupSeconds: number;
    /** In all per scenario, over `rounds` bursts taking turns with the other scenarios under the same load. */
    readonly measureSeconds: number;
    /** Absent in runs from before the scenarios took turns (one burst each). */
    readonly rounds?: number;
    readonly quick: boolean;
    /** Absent when no scenario needed the broker or the warm-up was turned off. */
    readonly brokerWarmup?: BrokerWarmup;
  };
  readonly scenarios: readonly ScenarioResult[];
  readonly audits: readonly AuditResult[];
  /** Why the run failed; empty when its numbers can be trusted. */
  readonly failures: readonly string[];
}
