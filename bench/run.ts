import { join } from 'node:path';
import { combineAbRuns, runAb } from './lib/ab.js';
import { COMPARISONS, withReferenceRatios, type ComparedLoad, type Comparison, type VariantSettings } from './lib/comparisons.js';
import { auditFailure, runAudit } from './lib/audit.js';
import { startEmbeddedBroker } from '../src/log/embedded-broker.js';
import { createKafka } from '../src/log/kafka-config.js';
import { benchConnection } from './lib/kafka.js';
import { renderChart } from './lib/chart.js';
import { startChild, type Child } from '../test/support/child-process.js';
import { AUTHORIZATION } from '../test/support/credentials.js';
import { runCommand } from './lib/children.js';
import { cpuSeconds } from './lib/cpu.js';
import { measureKafkaFloor, warmBroker } from './lib/kafka-floor.js';
import { combineBursts, measureBurst, measureLoad, sealSeconds, sealShare, warmUp, type Burst } from './lib/load.js';
import { describeMachine } from './lib/machine.js';
import type { AuditResult, BenchRun, BrokerWarmup, ScenarioResult } from './lib/model.js';
import { lifecycleKeys, measureLifecycle } from './lib/lifecycle.js';
import { parseOptions, type BenchOptions, type Step } from './lib/options.js';
import { auditLines, consoleTable, machineLine, writeResults } from './lib/report.js';
import { sampleRss } from './lib/rss.js';
import {
  BASELINES,
  EXHAUSTION_SCENARIO,
  exhaustionShareClasses,
  issueBody,
  loadOf,
  SERVICE_SCENARIOS,
  UNLIMITED_SHARE_CLASSES,
  type Load,
  type ServiceScenario,
} from './lib/scenarios.js';

const RESULTS = 'bench/results';
const say = (message: string): void => console.error(`[bench] ${message}`);

interface Service {
  readonly child: Child;
  readonly topic: string;
  readonly shareClasses: string;
  /** Started to sign its writes (without SIGNING_DISABLED=1): the audit must find its log signed, and unsigned otherwise. */
  readonly signed: boolean;
}

/** A comparison's services, one per variant, and what their loads send. */
interface Compared {
  readonly comparison: Comparison;
  readonly services: Readonly<Record<string, Service>>;
  readonly settings: VariantSettings;
}

/** The bench's servers, up at once while the scenarios take turns. */
interface Servers {
  readonly raw?: Child;
  readonly koa?: Child;
  readonly durable?: Child;
  readonly service?: Service;
  /** The same build as variants side by side: authentication off, API keys, tokens; unsigned and signed. */
  readonly compared: readonly Compared[];
}

/** One scenario, measured in bursts that take turns with the other scenarios under its load. */
interface Entry {
  readonly id: string;
  readonly label: string;
  readonly server: Child;
  readonly load: Load;
  readonly bodies: readonly object[];
  readonly keyed?: boolean;
  /** The credentials its load sends. */
  readonly headers: Readonly<Record<string, string>>;
  /** A service scenario: read over the baselines, its resident set sampled, every answer a 201. */
  readonly service: boolean;
  readonly bursts: Burst[];
  readonly abRuns: Array<{ readonly run: ScenarioResult; readonly cpuSeconds: number; readonly sealSeconds?: number }>;
  rssMiB: number;
}

const ORDER: readonly Load[] = ['usual', 'keyed', 'many', 'ab'];

class Bench {
  readonly scenarios: ScenarioResult[] = [];
  readonly audits: AuditResult[] = [];
  readonly failures: string[] = [];
  readonly startedAt = new Date().toISOString();
  private brokers: string | undefined;
  private readonly topics = new Set<string>();

  constructor(private readonly options: BenchOptions) {}

  wants(...steps: Step[]): boolean {
    return steps.some((step) => this.options.steps.has(step));
  }

  async broker(): Promise<string> {
    this.brokers ??= this.options.kafkaBrokers ?? (await startEmbeddedBroker(this.options.kafkaPort));
    return this.brokers;
  }

  topic(label: string): string {
    const topic = `bench-${label}-${this.startedAt.replace(/[:.]/g, '-')}`;
    this.topics.add(topic);
    return topic;
  }

  /**
   * Deletes the run's topics once they are audited: the bench's broker keeps its data directory from
   * run to run, and a run leaves ~200 MB (the warm-up alone writes 40,000 batches). A failed run
   * keeps them, as the evidence to read.
   */
  async dropTopics(): Promise<void> {
    if (this.brokers === undefined || this.topics.size === 0) return;
    if (this.options.keepTopics || this.failures.length > 0) {
      say(`kept this run's topics (${this.options.keepTopics ? '--keep-topics' : 'the run failed'}): ${[...this.topics].join(', ')}`);
      return;
    }
    const admin = createKafka(benchConnection(this.brokers), 'bench-cleanup').admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const topics = [...this.topics].filter((topic) => existing.has(topic));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
      say(`deleted ${topics.length} topics of this run`);
    } finally {
      await admin.disconnect();
    }
  }

  async startBaseline(name: string, script: string, port: number, env: Readonly<Record<string, string>> = {}): Promise<Child> {
    return startChild({
      name,
      args: ['--import', 'tsx', script],
      port,
      env: { PORT: String(port), ...env },
      logFile: join(RESULTS, `${name}.log`),
    });
  }

  /** `env`: settings beside the bench's own (this process's environment reaches it too, through startChild). */
  async startService(label: string, port: number, shareClasses: string, env: Readonly<Record<string, string>> = {}): Promise<Service> {
    const topic = this.topic(label);
    const settings = {
      PORT: String(port),
      // Not PORT + 1, the default: the scenarios' servers sit on consecutive ports.
      INTERNAL_PORT: String(port + 100),
      HOST: '127.0.0.1',
      KAFKA_BROKERS: await this.broker(),
      KAFKA_TOPIC: topic,
      SHARE_CLASSES: shareClasses,
      ...env,
    };
    const signed = ({ ...process.env, ...settings } as NodeJS.ProcessEnv).SIGNING_DISABLED?.trim() !== '1';
    const child = await startChild({
      name: label,
      args: ['dist/main.js'],
      port,
      env: settings,
      logFile: join(RESULTS, `service-${label}.log`),
    });
    return { child, topic, shareClasses, signed };
  }

  /**
   * Every scenario of the servers that are up, in the order they are reported: each baseline under
   * each load it has an id for (the usual one; a new Idempotency-Key per request, which costs the
   * load generator a rebuilt request each time; many connections; ab), then the service's, then
   * each comparison's variants (authentication's cost: off, API key, JWT; signing's: unsigned,
   * signed) under each load.
   */
  entries(servers: Servers): Entry[] {
    const entries: Entry[] = [];
    const add = (
      id: string,
      label: string,
      server: Child,
      load: Load,
      more: Partial<Pick<Entry, 'bodies' | 'keyed' | 'service' | 'headers'>> = {},
    ) =>
      entries.push({
        id,
        label,
        server,
        load,
        bodies: [issueBody('CS')],
        headers: AUTHORIZATION,
        service: false,
        bursts: [],
        abRuns: [],
        rssMiB: 0,
        ...more,
      });
    const { raw, koa, durable, service, compared } = servers;
    const { manyConnections } = this.options;
    if (raw !== undefined) add('a', 'raw node:http, fixed 201', raw, 'usual');
    for (const [baseline, server, label] of [
      ['koa', koa, 'Koa + @koa/router, JSON body, 201'],
      ['durable', durable, "a' answering after a Kafka commit"],
    ] as const) {
      if (server === undefined) continue;
      const ids = BASELINES[baseline];
      add(ids.usual, label, server, 'usual');
      add(ids.keyed, `${label}, a new Idempotency-Key each`, server, 'keyed', { keyed: true });
      add(ids.many, `${label}, ${manyConnections} connections`, server, 'many');
      if (this.wants('ab')) add(ids.ab, label, server, 'ab');
    }
    if (service !== undefined) {
      for (const scenario of this.wants('b') ? SERVICE_SCENARIOS : []) {
        const label = scenario.many ? `${scenario.label}, ${manyConnections} connections` : scenario.label;
        add(scenario.id, label, service.child, loadOf(scenario), {
          bodies: scenario.bodies,
          keyed: scenario.keyed === true,
          service: true,
        });
      }
      if (this.wants('ab')) add('ab', 'service, class CS', service.child, 'ab', { service: true });
    }
    const loads: readonly ComparedLoad[] = this.wants('ab') ? ['usual', 'many', 'ab'] : ['usual', 'many'];
    for (const { comparison, services, settings } of compared) {
      for (const load of loads) {
        for (const variant of comparison.variants) {
          const label = comparison.labels[variant]!;
          add(
            comparison.ids[load][variant]!,
            load === 'many' ? `${label}, ${manyConnections} connections` : label,
            services[variant]!.child,
            load,
            {
              service: true,
              headers: settings.headers[variant]!,
            },
          );
        }
      }
    }
    return entries;
  }

  /** The scenarios under one load: each server warmed once, then `rounds` rounds of one burst each. */
  async measureInTurns(load: Load, entries: readonly Entry[]): Promise<void> {
    const { rounds, warmupSeconds, measureSeconds, abRequests } = this.options;
    const connections = load === 'many' ? this.options.manyConnections : this.options.connections;
    const spec = (entry: Entry) => ({
      url: entry.server.url,
      serverPid: entry.server.pid,
      ...(entry.service ? { metricsUrl: `${entry.server.url}/metrics` } : {}),
      bodies: entry.bodies,
      keyed: entry.keyed,
      headers: entry.headers,
      connections,
      warmupSeconds,
      measureSeconds,
    });
    const warmed = new Set<Child>();
    for (const entry of load === 'ab' ? [] : entries) {
      if (warmed.has(entry.server)) continue;
      warmed.add(entry.server);
      say(`(${entry.id}) warm-up, ${warmupSeconds} s`);
      await warmUp(spec(entry));
    }
    for (let round = 1; round <= rounds; round++) {
      // Each round starts one scenario further on, so none is always the one measured first or always
      // right after the same other one: a place in the order must not pass for a scenario's cost.
      const turns = entries.map((_, index) => entries[(index + round - 1) % entries.length]!);
      for (const entry of turns) {
        if (load !== 'ab') {
          say(`(${entry.id}) round ${round} of ${rounds}: ${entry.label}`);
          const rss = entry.service ? sampleRss(entry.server.pid) : undefined;
          entry.bursts.push(await measureBurst(spec(entry), measureSeconds / rounds));
          entry.rssMiB = Math.max(entry.rssMiB, rss?.stop() ?? 0);
          continue;
        }
        // The brief's whole ab run in every round: split in three, each run lasted under a second
        // here, and bare Koa's figure differed by 40% from one bench run to the next.
        say(`(${entry.id}) round ${round} of ${rounds}: ab -n ${abRequests} -c ${connections}, ${entry.label}`);
        const metricsUrl = `${entry.server.url}/metrics`;
        const sealedBefore = entry.service ? await sealSeconds(metricsUrl) : undefined;
        const before = cpuSeconds(entry.server.pid);
        const run = await runAb(entry.server.url, issueBody('CS'), abRequests, connections, entry.headers);
        if (run === undefined) throw new AbMissing();
        const cpu = cpuSeconds(entry.server.pid) - before;
        const sealed = sealedBefore === undefined ? {} : { sealSeconds: (await sealSeconds(metricsUrl)) - sealedBefore };
        entry.abRuns.push({ run, cpuSeconds: cpu, ...sealed });
      }
    }
  }

  /** An entry's bursts as one scenario result, checked when it is the service's or ab's. */
  result(entry: Entry): ScenarioResult {
    const { id, label, load, service } = entry;
    const compared = service ? { load } : {};
    if (load !== 'ab') {
      const result: ScenarioResult = {
        id,
        label,
        tool: 'autocannon',
        ...combineBursts(entry.bursts),
        ...(service ? { serviceRssMaxMiB: entry.rssMiB } : {}),
        ...compared,
      };
      if (service) this.check(result, ['201']);
      return result;
    }
    const runs = entry.abRuns.map(({ run }) => run);
    const combined = combineAbRuns(runs);
    const cpu = entry.abRuns.reduce((sum, { cpuSeconds: seconds }) => sum + seconds, 0);
    const result: ScenarioResult = {
      id,
      label: `${label}, under ${runs.length} × ab -n ${this.options.abRequests} -c ${this.options.connections} (no keep-alive)`,
      tool: 'ab',
      ...combined,
      ...(combined.total > 0 ? { serverCpuUsPerRequest: (cpu * 1e6) / combined.total } : {}),
      ...(combined.requestsPerSecond > 0
        ? sealShare(
            entry.abRuns.map((each) => each.sealSeconds),
            combined.total / combined.requestsPerSecond,
          )
        : {}),
      ...compared,
    };
    this.check(result, ['2xx']);
    return result;
  }

  async serviceScenario(service: Service, scenario: ServiceScenario): Promise<ScenarioResult> {
    say(`(${scenario.id}) ${scenario.label}`);
    const rss = sampleRss(service.child.pid);
    const { warmupSeconds, measureSeconds, connections } = this.options;
    const load = await measureLoad({
      url: service.child.url,
      serverPid: service.child.pid,
      metricsUrl: `${service.child.url}/metrics`,
      bodies: scenario.bodies,
      warmupBodies: scenario.warmupBodies,
      connections,
      warmupSeconds,
      measureSeconds,
    });
    const result: ScenarioResult = {
      id: scenario.id,
      label: scenario.label,
      tool: 'autocannon',
      ...load,
      serviceRssMaxMiB: rss.stop(),
      load: loadOf(scenario),
    };
    this.scenarios.push(result);
    return result;
  }

  /** Stops the service first, so the audit reads a topic nobody writes to any more. */
  async finishService(service: Service): Promise<void> {
    await service.child.stop();
    if (this.options.skipAudit) {
      this.audits.push({ topic: service.topic, status: 'skipped', tail: '--skip-audit' });
      return;
    }
    say(`auditing ${service.topic}`);
    const audit = await runAudit({ brokers: await this.broker(), topic: service.topic, shareClasses: service.shareClasses });
    this.audits.push(audit);
    const failure = auditFailure(audit, service.signed);
    if (failure !== undefined) this.failures.push(failure);
  }

  /**
   * Fails the run on an unexpected status, and on socket errors or timeouts beyond what bare Koa had
   * under the same load (none at 20 connections; many connections make some even there).
   */
  check(result: ScenarioResult, allowedStatuses: readonly string[]): void {
    const unexpected = Object.entries(result.statuses).filter(([status]) => !allowedStatuses.includes(status));
    const koa = result.load === undefined ? undefined : BASELINES.koa[result.load];
    const ceiling = this.scenarios.find((scenario) => scenario.id === koa);
    if (result.errors > (ceiling?.errors ?? 0) || result.timeouts > (ceiling?.timeouts ?? 0) || unexpected.length > 0) {
      this.failures.push(
        `${result.id}: ${result.errors} errors, ${result.timeouts} timeouts, unexpected statuses ${JSON.stringify(Object.fromEntries(unexpected))}`,
      );
    }
  }
}

/** ab is not installed: the ab scenarios are skipped, and said. */
class AbMissing extends Error {}

/** Each service scenario over raw node:http, and over bare Koa and durable Koa under the same load. */
function withRatios(scenarios: readonly ScenarioResult[]): ScenarioResult[] {
  const over = (result: ScenarioResult, id: string | undefined): number | undefined => {
    const baseline = scenarios.find((s) => s.id === id)?.requestsPerSecond;
    return baseline ? result.requestsPerSecond / baseline : undefined;
  };
  return scenarios.map((s) => {
    if (s.load === undefined) return s;
    return {
      ...s,
      ratioToRaw: s.tool === 'autocannon' ? over(s, 'a') : undefined,
      ratioToKoa: over(s, BASELINES.koa[s.load]),
      ratioToDurable: over(s, BASELINES.durable[s.load]),
    };
  });
}

/**
 * A comparison's services on `port` on, one per variant, each on a topic of its own with its
 * variant's settings (for authentication's cost this starts the OpenID provider and fetches a token).
 */
async function startComparison(bench: Bench, comparison: Comparison, port: number): Promise<Compared> {
  say(`${comparison.step}: starting ${comparison.variants.join(', ')}`);
  const settings = await comparison.settings();
  const services: Record<string, Service> = {};
  try {
    for (const [index, variant] of comparison.variants.entries()) {
      services[variant] = await bench.startService(
        `${comparison.step}-${variant}`,
        port + index,
        UNLIMITED_SHARE_CLASSES,
        settings.env[variant],
      );
    }
  } catch (error) {
    await Promise.all(Object.values(services).map((each) => each.child.stop()));
    await settings.stop();
    throw error;
  }
  return { comparison, services, settings };
}

/** Each comparison's first port: after the scenarios' five servers, one per variant. */
function comparisonPorts(basePort: number): Map<Comparison, number> {
  const ports = new Map<Comparison, number>();
  let next = basePort + 5;
  for (const comparison of COMPARISONS) {
    ports.set(comparison, next);
    next += comparison.variants.length;
  }
  return ports;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const bench = new Bench(options);
  const machine = await describeMachine();
  const port = options.basePort;

  // Before the baselines too: they then run beside the same idle broker the service scenarios do,
  // and the JIT compiler's threads are done before anything is measured.
  let brokerWarmup: BrokerWarmup | undefined;
  if (bench.wants('d', 'k', 'b', 'c', 'ab', 'auth', 'signing', 'lifecycle') && options.brokerWarmupProduces > 0) {
    say(`broker warm-up: ${options.brokerWarmupProduces} produces of the service's usual batch`);
    brokerWarmup = await warmBroker([await bench.broker()], bench.topic('warmup'), options.brokerWarmupProduces);
    say(
      `broker warm-up: ${brokerWarmup.seconds} s; first produces ${brokerWarmup.firstMsEach} ms each, last ${brokerWarmup.lastMsEach} ms`,
    );
  }
  let floor: ScenarioResult | undefined;
  if (bench.wants('k')) {
    say(`(k) Kafka floor, ${options.floorSends} sequential produces`);
    floor = await measureKafkaFloor([await bench.broker()], bench.topic('floor'), options.floorSends);
  }
  if (bench.wants('b', 'c', 'ab', 'auth', 'signing', 'lifecycle')) {
    say('building the service');
    const build = await runCommand('npm', ['run', 'build']);
    if (build.code !== 0) throw new Error(`npm run build failed:\n${build.output}`);
  }

  const started: Child[] = [];
  const up = async (child: Promise<Child>): Promise<Child> => {
    started.push(await child);
    return started.at(-1)!;
  };
  let service: Service | undefined;
  const compared: Compared[] = [];
  let mixed: number | undefined;
  try {
    const servers: Omit<Servers, 'compared'> = {
      ...(bench.wants('a') ? { raw: await up(bench.startBaseline('a', 'bench/servers/raw-http.ts', port)) } : {}),
      ...(bench.wants("a'") ? { koa: await up(bench.startBaseline("a'", 'bench/servers/koa-hello.ts', port + 1)) } : {}),
      ...(bench.wants('d')
        ? {
            durable: await up(
              bench.startBaseline('d', 'bench/servers/koa-durable.ts', port + 4, {
                KAFKA_BROKERS: await bench.broker(),
                KAFKA_TOPIC: bench.topic('durable'),
              }),
            ),
          }
        : {}),
    };
    if (bench.wants('b', 'ab')) service = await bench.startService('unlimited', port + 2, UNLIMITED_SHARE_CLASSES);
    for (const [comparison, first] of comparisonPorts(port)) {
      if (bench.wants(comparison.step)) compared.push(await startComparison(bench, comparison, first));
    }
    const entries = bench.entries({ ...servers, ...(service === undefined ? {} : { service }), compared });
    const measured = new Set<Entry>();
    for (const load of ORDER) {
      const under = entries.filter((entry) => entry.load === load);
      if (under.length === 0) continue;
      try {
        await bench.measureInTurns(load, under);
        for (const entry of under) measured.add(entry);
      } catch (error) {
        if (!(error instanceof AbMissing)) throw error;
        say('ab is not installed (Debian: apt-get install apache2-utils); skipped');
      }
    }
    const results = entries.filter((entry) => measured.has(entry));
    for (const entry of results.filter((each) => !each.service)) bench.scenarios.push(bench.result(entry));
    if (floor !== undefined) bench.scenarios.push(floor);
    for (const entry of results.filter((each) => each.service)) bench.scenarios.push(bench.result(entry));
    mixed = bench.scenarios.find((scenario) => scenario.id === 'b-mixed')?.requestsPerSecond;
  } finally {
    await Promise.all(started.map((child) => child.stop()));
    if (service !== undefined) await bench.finishService(service);
    for (const { comparison, services, settings } of compared) {
      for (const variant of comparison.variants) await bench.finishService(services[variant]!);
      await settings.stop();
    }
  }

  if (bench.wants('lifecycle')) {
    // On the exhaustion service's port: they run one after the other.
    const keys = lifecycleKeys();
    const lifecycle = await bench.startService('lifecycle', port + 3, UNLIMITED_SHARE_CLASSES, keys.env);
    try {
      say(`(e) ${options.lifecycleCertificates} certificates, then issuances and transfers in turns`);
      const results = await measureLifecycle(
        { url: lifecycle.child.url, pid: lifecycle.child.pid, headers: keys.headers },
        {
          clients: options.connections,
          certificates: options.lifecycleCertificates,
          rounds: options.rounds,
          perRound: options.lifecyclePerRound,
        },
      );
      for (const result of results) {
        bench.scenarios.push(result);
        bench.check(result, ['201']);
      }
    } finally {
      await bench.finishService(lifecycle);
    }
  }

  if (bench.wants('c')) {
    const shareClasses = exhaustionShareClasses(mixed, options.measureSeconds);
    const exhaustion = await bench.startService('exhaustion', port + 3, shareClasses);
    try {
      say(`(c) authorized ${shareClasses}`);
      const result = await bench.serviceScenario(exhaustion, EXHAUSTION_SCENARIO);
      bench.check(result, ['201', '409']);
      if (!result.statuses['409']) say('warning: (c) never ran out of shares; its numbers are all-201');
    } finally {
      await bench.finishService(exhaustion);
    }
  }

  const run: BenchRun = {
    startedAt: bench.startedAt,
    machine,
    settings: {
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      measureSeconds: options.measureSeconds,
      rounds: options.rounds,
      quick: options.quick,
      ...(brokerWarmup === undefined ? {} : { brokerWarmup }),
    },
    scenarios: withReferenceRatios(withRatios(bench.scenarios)),
    audits: bench.audits,
    failures: bench.failures,
  };
  // Results matter more than the cleanup: a broker that refuses the deletion costs only disk.
  await bench.dropTopics().catch((error: unknown) => say(`could not delete this run's topics: ${String(error)}`));
  const file = await writeResults(RESULTS, run, renderChart(run, machineLine(run)));
  console.log(`${machineLine(run)}\n\n${consoleTable(run)}\n\n${auditLines(run)}\n\nresults: ${file}, ${RESULTS}/latest.svg`);
  if (run.failures.length > 0) {
    console.error(`\nFAILED BENCH:\n- ${run.failures.join('\n- ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error('[bench] fatal:', error);
  process.exit(1);
});
