import { join } from 'node:path';
import { runAb } from './ab.js';
import { runAudit } from './audit.js';
import { startEmbeddedBroker } from '../src/embedded-broker.js';
import { renderChart } from './chart.js';
import { runCommand, startChild, type Child } from './children.js';
import { cpuMeter } from './cpu.js';
import { measureKafkaFloor, warmBroker } from './kafka-floor.js';
import { measureLoad } from './load.js';
import { describeMachine } from './machine.js';
import type { AuditResult, BenchRun, BrokerWarmup, ScenarioResult } from './model.js';
import { parseOptions, type BenchOptions, type Step } from './options.js';
import { auditLines, consoleTable, machineLine, writeResults } from './report.js';
import { sampleRss } from './rss.js';
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
} from './scenarios.js';

const RESULTS = 'bench/results';
const say = (message: string): void => console.error(`[bench] ${message}`);

interface Service {
  readonly child: Child;
  readonly topic: string;
  readonly shareClasses: string;
}

class Bench {
  readonly scenarios: ScenarioResult[] = [];
  readonly audits: AuditResult[] = [];
  readonly failures: string[] = [];
  readonly startedAt = new Date().toISOString();
  private brokers: string | undefined;

  constructor(private readonly options: BenchOptions) {}

  wants(...steps: Step[]): boolean {
    return steps.some((step) => this.options.steps.has(step));
  }

  async broker(): Promise<string> {
    this.brokers ??= this.options.kafkaBrokers ?? (await startEmbeddedBroker(this.options.kafkaPort));
    return this.brokers;
  }

  topic(label: string): string {
    return `bench-${label}-${this.startedAt.replace(/[:.]/g, '-')}`;
  }

  /**
   * A baseline server under each load it has an id for: the usual one; a new Idempotency-Key per
   * request (which costs the load generator a rebuilt request each time, ~10% of bare Koa's
   * throughput on a box the generator shares); many connections; ab.
   */
  async baseline(
    ids: Partial<Record<Load, string>> & { readonly usual: string },
    label: string,
    script: string,
    port: number,
    env: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const child = await startChild({
      name: ids.usual,
      args: ['--import', 'tsx', script],
      port,
      env: { PORT: String(port), ...env },
      logFile: join(RESULTS, `${ids.usual}.log`),
    });
    const loads: ReadonlyArray<readonly [Load, string, { keyed?: boolean; connections?: number }]> = [
      ['usual', label, {}],
      ['keyed', `${label}, a new Idempotency-Key each`, { keyed: true }],
      ['many', `${label}, ${this.options.manyConnections} connections`, { connections: this.options.manyConnections }],
    ];
    try {
      for (const [load, described, { keyed, connections }] of loads) {
        const id = ids[load];
        if (id === undefined) continue;
        say(`(${id}) ${described}`);
        const measured = await measureLoad({
          url: child.url,
          serverPid: child.pid,
          bodies: [issueBody('CS')],
          keyed,
          ...this.loadSettings(connections),
        });
        this.scenarios.push({ id, label: described, tool: 'autocannon', ...measured });
      }
      if (ids.ab !== undefined && this.wants('ab')) await this.ab(ids.ab, `${label}, under ab`, child);
    } finally {
      await child.stop();
    }
  }

  /**
   * The brief's own tool: ab without keep-alive; skipped, and said, when ab is not installed. With
   * `compared`, the result is read over the baselines' own ab runs.
   */
  async ab(id: string, label: string, server: Child, compared = false): Promise<void> {
    const { abRequests, connections } = this.options;
    say(`(${id}) ab -n ${abRequests} -c ${connections}: ${label}`);
    const cpu = cpuMeter(server.pid);
    const ab = await runAb(server.url, issueBody('CS'), abRequests, connections);
    if (ab === undefined) {
      say('ab is not installed (Debian: apt-get install apache2-utils); skipped');
      return;
    }
    const serverCpuUsPerRequest = cpu.perResponseUs(ab.total);
    const result = {
      ...ab,
      ...(serverCpuUsPerRequest === undefined ? {} : { serverCpuUsPerRequest }),
      id,
      label: `${ab.label}: ${label}`,
      ...(compared ? { load: 'ab' as const } : {}),
    };
    this.scenarios.push(result);
    this.check(result, ['2xx']);
  }

  async startService(label: string, port: number, shareClasses: string): Promise<Service> {
    const topic = this.topic(label);
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      KAFKA_BROKERS: await this.broker(),
      KAFKA_TOPIC: topic,
      SHARE_CLASSES: shareClasses,
    };
    const child = await startChild({ name: label, args: ['dist/main.js'], port, env, logFile: join(RESULTS, `service-${label}.log`) });
    return { child, topic, shareClasses };
  }

  async serviceScenario(service: Service, scenario: ServiceScenario): Promise<ScenarioResult> {
    say(`(${scenario.id}) ${scenario.label}`);
    const rss = sampleRss(service.child.pid);
    const load = await measureLoad({
      url: service.child.url,
      serverPid: service.child.pid,
      bodies: scenario.bodies,
      warmupBodies: scenario.warmupBodies,
      keyed: scenario.keyed,
      ...this.loadSettings(scenario.many ? this.options.manyConnections : undefined),
    });
    const result: ScenarioResult = {
      id: scenario.id,
      label: scenario.many ? `${scenario.label}, ${this.options.manyConnections} connections` : scenario.label,
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
    if (audit.status !== 'clean') this.failures.push(`audit of ${audit.topic}: ${audit.status}\n${audit.tail}`);
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

  private loadSettings(connections = this.options.connections): { connections: number; warmupSeconds: number; measureSeconds: number } {
    const { warmupSeconds, measureSeconds } = this.options;
    return { connections, warmupSeconds, measureSeconds };
  }
}

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

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const bench = new Bench(options);
  const machine = await describeMachine();
  const port = options.basePort;

  // Before the baselines too: they then run beside the same idle broker the service scenarios do,
  // and the JIT compiler's threads are done before anything is measured.
  let brokerWarmup: BrokerWarmup | undefined;
  if (bench.wants('d', 'k', 'b', 'c', 'ab') && options.brokerWarmupProduces > 0) {
    say(`broker warm-up: ${options.brokerWarmupProduces} produces of the service's usual batch`);
    brokerWarmup = await warmBroker([await bench.broker()], bench.topic('warmup'), options.brokerWarmupProduces);
    say(
      `broker warm-up: ${brokerWarmup.seconds} s; first produces ${brokerWarmup.firstMsEach} ms each, last ${brokerWarmup.lastMsEach} ms`,
    );
  }
  if (bench.wants('a')) await bench.baseline({ usual: 'a' }, 'raw node:http, fixed 201', 'bench/servers/raw-http.ts', port);
  if (bench.wants("a'")) await bench.baseline(BASELINES.koa, 'Koa + @koa/router, JSON body, 201', 'bench/servers/koa-hello.ts', port + 1);
  if (bench.wants('d')) {
    const env = { KAFKA_BROKERS: await bench.broker(), KAFKA_TOPIC: bench.topic('durable') };
    await bench.baseline(BASELINES.durable, "a' answering after a Kafka commit", 'bench/servers/koa-durable.ts', port + 4, env);
  }
  if (bench.wants('k')) {
    say(`(k) Kafka floor, ${options.floorSends} sequential produces`);
    bench.scenarios.push(await measureKafkaFloor([await bench.broker()], bench.topic('floor'), options.floorSends));
  }
  if (bench.wants('b', 'c', 'ab')) {
    say('building the service');
    const build = await runCommand('npm', ['run', 'build']);
    if (build.code !== 0) throw new Error(`npm run build failed:\n${build.output}`);
  }

  let mixed: number | undefined;
  if (bench.wants('b', 'ab')) {
    const service = await bench.startService('unlimited', port + 2, UNLIMITED_SHARE_CLASSES);
    try {
      for (const scenario of bench.wants('b') ? SERVICE_SCENARIOS : []) {
        const result = await bench.serviceScenario(service, scenario);
        bench.check(result, ['201']);
        if (scenario.id === 'b-mixed') mixed = result.requestsPerSecond;
      }
      if (bench.wants('ab')) await bench.ab('ab', 'the service', service.child, true);
    } finally {
      await bench.finishService(service);
    }
  }

  if (bench.wants('c')) {
    const shareClasses = exhaustionShareClasses(mixed, options.measureSeconds);
    const service = await bench.startService('exhaustion', port + 3, shareClasses);
    try {
      say(`(c) authorized ${shareClasses}`);
      const result = await bench.serviceScenario(service, EXHAUSTION_SCENARIO);
      bench.check(result, ['201', '409']);
      if (!result.statuses['409']) say('warning: (c) never ran out of shares; its numbers are all-201');
    } finally {
      await bench.finishService(service);
    }
  }

  const run: BenchRun = {
    startedAt: bench.startedAt,
    machine,
    settings: {
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      measureSeconds: options.measureSeconds,
      quick: options.quick,
      ...(brokerWarmup === undefined ? {} : { brokerWarmup }),
    },
    scenarios: withRatios(bench.scenarios),
    audits: bench.audits,
    failures: bench.failures,
  };
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
