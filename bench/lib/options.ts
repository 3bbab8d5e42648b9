/** Everything a bench run can be told, from flags first and environment second. */
export const STEPS = ['a', "a'", 'd', 'k', 'b', 'c', 'ab', 'auth', 'signing', 'lifecycle'] as const;
export type Step = (typeof STEPS)[number];

export interface BenchOptions {
  readonly warmupSeconds: number;
  /** Measured seconds per scenario in all, split evenly over `rounds` bursts. */
  readonly measureSeconds: number;
  /**
   * Bursts per scenario. Scenarios under the same load take turns, one burst each per round, with
   * every server up at once, so the machine's drift falls on all of them alike.
   */
  readonly rounds: number;
  readonly connections: number;
  /** The many-connections load (the brief's service level is stated at ~20; 1000 finds what breaks first). */
  readonly manyConnections: number;
  /** Produces given to the broker before the first scenario (0: none), so no scenario meets a cold JVM. */
  readonly brokerWarmupProduces: number;
  /** Sequential produce round trips of the Kafka floor. */
  readonly floorSends: number;
  readonly abRequests: number;
  /** The lifecycle step: certificates issued before it measures, and issuances and transfers a round. */
  readonly lifecycleCertificates: number;
  readonly lifecyclePerRound: number;
  readonly kafkaPort: number;
  /** An already running broker or cluster to use instead of starting the bench's own. */
  readonly kafkaBrokers: string | undefined;
  /**
   * First of ten consecutive ports: raw, Koa, service, exhaustion service, durable Koa, the services
   * with authentication off, with API keys and with an OpenID provider's tokens, and the unsigned
   * and the signed service.
   */
  readonly basePort: number;
  readonly steps: ReadonlySet<Step>;
  /** Without the audit a run cannot claim gap-free numbers, so skipping it must be asked for. */
  readonly skipAudit: boolean;
  /** Leave the run's topics on the broker (for reading them afterwards); by default they are deleted once audited. */
  readonly keepTopics: boolean;
  readonly quick: boolean;
}

function flag(argv: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

function positive(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`Expected ${name} to be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

function steps(raw: string | undefined): ReadonlySet<Step> {
  if (raw === undefined) return new Set(STEPS);
  const chosen = raw.split(',').map((step) => step.trim());
  const unknown = chosen.filter((step) => !(STEPS as readonly string[]).includes(step));
  if (unknown.length > 0) throw new Error(`Unknown step(s) ${unknown.join(', ')}; expected some of ${STEPS.join(', ')}`);
  return new Set(chosen as Step[]);
}

function count(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`Expected ${name} to be a whole number, 0 or more, got ${JSON.stringify(raw)}`);
  return value;
}

const whole = (value: number): number => Math.max(1, Math.round(value));

/** Where a bench's servers listen and which broker it uses: every bench script reads them here. */
export function benchPlaces(env: NodeJS.ProcessEnv): Pick<BenchOptions, 'kafkaPort' | 'kafkaBrokers' | 'basePort'> {
  return {
    kafkaPort: whole(positive(env.BENCH_KAFKA_PORT, 29492, 'BENCH_KAFKA_PORT')),
    kafkaBrokers: env.BENCH_KAFKA_BROKERS?.trim() || undefined,
    basePort: whole(positive(env.BENCH_PORT, 29500, 'BENCH_PORT')),
  };
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const known = [
    '--quick',
    '--skip-audit',
    '--keep-topics',
    '--warmup=',
    '--duration=',
    '--connections=',
    '--only=',
    '--broker-warmup=',
    '--rounds=',
  ];
  const stray = argv.filter((arg) => !known.some((prefix) => arg === prefix || (prefix.endsWith('=') && arg.startsWith(prefix))));
  if (stray.length > 0) throw new Error(`Unknown argument(s) ${stray.join(' ')}; known: ${known.join(' ')}`);
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1';
  return {
    ...benchPlaces(env),
    quick,
    warmupSeconds: positive(flag(argv, 'warmup') ?? env.BENCH_WARMUP, quick ? 1 : 3, 'the warm-up in seconds'),
    measureSeconds: positive(flag(argv, 'duration') ?? env.BENCH_DURATION, quick ? 3 : 10, 'the measured duration in seconds'),
    rounds: whole(positive(flag(argv, 'rounds') ?? env.BENCH_ROUNDS, 3, 'the rounds per scenario')),
    connections: whole(positive(flag(argv, 'connections') ?? env.BENCH_CONNECTIONS, 20, 'the connection count')),
    manyConnections: whole(positive(env.BENCH_MANY_CONNECTIONS, 1000, 'BENCH_MANY_CONNECTIONS')),
    brokerWarmupProduces: count(
      flag(argv, 'broker-warmup') ?? env.BENCH_BROKER_WARMUP,
      quick ? 5000 : 40_000,
      'the broker warm-up in produces',
    ),
    floorSends: whole(positive(env.BENCH_FLOOR_SENDS, quick ? 300 : 2000, 'BENCH_FLOOR_SENDS')),
    abRequests: whole(positive(env.BENCH_AB_REQUESTS, quick ? 2000 : 10_000, 'BENCH_AB_REQUESTS')),
    lifecycleCertificates: whole(positive(env.BENCH_LIFECYCLE_CERTIFICATES, quick ? 500 : 5000, 'BENCH_LIFECYCLE_CERTIFICATES')),
    lifecyclePerRound: whole(positive(env.BENCH_LIFECYCLE_PER_ROUND, quick ? 200 : 1000, 'BENCH_LIFECYCLE_PER_ROUND')),
    steps: steps(flag(argv, 'only') ?? env.BENCH_ONLY),
    skipAudit: argv.includes('--skip-audit') || env.BENCH_SKIP_AUDIT === '1',
    keepTopics: argv.includes('--keep-topics') || env.BENCH_KEEP_TOPICS === '1',
  };
}
