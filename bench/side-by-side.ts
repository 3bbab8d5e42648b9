import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedBroker } from '../src/log/embedded-broker.js';
import { runAb } from './lib/ab.js';
import { authCredentials, type AuthCredentials } from './lib/auth-cost.js';
import { startChild, type Child } from '../test/support/child-process.js';
import { runCommand } from './lib/children.js';
import { cpuMeter } from './lib/cpu.js';
import { measureLoad, type LoadResult } from './lib/load.js';
import { benchPlaces } from './lib/options.js';
import { scavengeStats } from './lib/scavenges.js';
import { median } from './lib/stats.js';
import { issueBody, UNLIMITED_SHARE_CLASSES } from './lib/scenarios.js';

/**
 * What a change costs or buys per request, on a machine whose speed drifts by a fifth from one
 * minute to the next (two runs of one build differ by more than most changes do). Both servers run
 * at once and take the same load in turn, in short alternating bursts, so drift falls on both
 * alike. Per server: requests, the median burst's throughput, CPU time per request (utime + stime
 * of the server process, from /proc) over all bursts and as the median burst, the broker's CPU per
 * request when this tool started the broker, the median burst's p99, and in how many rounds the
 * second server was the cheaper. With `--ab=N` each burst is `ab -n N` without keep-alive instead
 * of autocannon for a fixed time.
 *
 *   npm run bench:side-by-side                                  # bare Koa against this build
 *   npm run bench:side-by-side -- --a=durable                   # bare Koa answering after a Kafka commit, against this build
 *   npm run bench:side-by-side -- --a=/tmp/before/dist --b=dist  # another build's dist/ against this one
 *   npm run bench:side-by-side -- --rounds=12 --seconds=3 --connections=20
 *   npm run bench:side-by-side -- --gc     # both under node --trace-gc-nvp: their scavenges too
 *   npm run bench:side-by-side -- --ab=5000 --rounds=9          # bursts of ab -n 5000 -c 20 (no keep-alive)
 *   npm run bench:side-by-side -- --keyed                       # a new Idempotency-Key on every request
 *   npm run bench:side-by-side -- --a=dist --b-env=KAFKA_FLUSH_EVERY_WRITE=1   # one build, b with a setting (comma-separated NAME=VALUE)
 *   npm run bench:side-by-side -- --a=dist --a-env=AUTH_DISABLED=1 --auth=jwt   # authentication's cost: a off, b checking the tokens
 *
 * `--auth=` is what every request of both sides carries: `key` (the default; the test admin's API
 * key, which every service started here accepts), `jwt` (an access token from a real OpenID provider
 * that this tool starts; both services get OIDC_ISSUER, OIDC_AUDIENCE and OIDC_ROLES_CLAIM for it) or
 * `none`. `--a-env=AUTH_DISABLED=1` turns authentication off on side a, which then ignores the
 * credential, so b's figures over a's are authentication's cost for one build. Settings in this
 * process's environment (a rate limit raised for benchmarking, say) reach both services.
 */
const RESULTS = 'bench/results';
const say = (message: string): void => console.error(`[side-by-side] ${message}`);

interface Options {
  /** `koa` (bench/servers/koa-hello.ts), `durable` (bench/servers/koa-durable.ts) or a directory holding a build's main.js. */
  readonly a: string;
  readonly b: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly connections: number;
  /** Runs both servers under `node --trace-gc-nvp` and reports their scavenges over the rounds. */
  readonly gc: boolean;
  /** Requests per burst of `ab` (a new connection per request); undefined: autocannon for `seconds`. */
  readonly ab: number | undefined;
  /** Every request carries a new Idempotency-Key. */
  readonly keyed: boolean;
  /** The credential both sides' requests carry. */
  readonly auth: 'key' | 'jwt' | 'none';
  /** Settings for each side's service, beside the bench's own. */
  readonly env: readonly [Readonly<Record<string, string>>, Readonly<Record<string, string>>];
}

function settings(list: string): Record<string, string> {
  if (list === '') return {};
  return Object.fromEntries(
    list.split(',').map((pair) => {
      const at = pair.indexOf('=');
      if (!/^[A-Z][A-Z0-9_]*=/.test(pair)) throw new Error(`Expected NAME=VALUE pairs, got ${JSON.stringify(pair)}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

function parse(argv: readonly string[]): Options {
  const value = (name: string, fallback: string): string =>
    argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const count = (name: string, fallback: number): number => {
    const parsed = Number(value(name, String(fallback)));
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`Expected --${name} to be a positive integer, got ${value(name, '')}`);
    return parsed;
  };
  const stray = argv.filter(
    (arg) => !/^--(a|b|rounds|seconds|connections|ab|a-env|b-env|auth)=/.test(arg) && arg !== '--gc' && arg !== '--keyed',
  );
  if (stray.length > 0) {
    throw new Error(
      `Unknown argument(s) ${stray.join(' ')}; known: --a= --b= --rounds= --seconds= --connections= --ab= --a-env= --b-env= --auth= --gc --keyed`,
    );
  }
  const auth = value('auth', 'key');
  if (auth !== 'key' && auth !== 'jwt' && auth !== 'none') throw new Error(`Expected --auth to be key, jwt or none, got ${auth}`);
  return {
    a: value('a', 'koa'),
    b: value('b', 'dist'),
    rounds: count('rounds', 8),
    seconds: count('seconds', 3),
    connections: count('connections', 20),
    gc: argv.includes('--gc'),
    ab: argv.some((arg) => arg.startsWith('--ab=')) ? count('ab', 0) : undefined,
    keyed: argv.includes('--keyed'),
    auth,
    env: [settings(value('a-env', '')), settings(value('b-env', ''))],
  };
}

interface Burst {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly cpuPerRequestUs: number;
  /** NaN when the broker is not this tool's (its process is unknown). */
  readonly brokerCpuPerRequestUs: number;
  readonly p99Ms: number;
  readonly unexpected: number;
}

async function start(
  side: string,
  target: string,
  port: number,
  brokers: () => Promise<string>,
  gc: boolean,
  settings: Readonly<Record<string, string>>,
): Promise<Child> {
  const logFile = join(RESULTS, `side-by-side-${side}.log`);
  const node = gc ? ['--trace-gc-nvp'] : [];
  if (target === 'koa') {
    return startChild({
      name: side,
      args: [...node, '--import', 'tsx', 'bench/servers/koa-hello.ts'],
      port,
      env: { PORT: String(port) },
      logFile,
    });
  }
  const env = {
    PORT: String(port),
    // Not PORT + 1, the default: side b listens there.
    INTERNAL_PORT: String(port + 100),
    HOST: '127.0.0.1',
    KAFKA_BROKERS: await brokers(),
    KAFKA_TOPIC: `bench-side-by-side-${side}-${Date.now()}`,
    SHARE_CLASSES: UNLIMITED_SHARE_CLASSES,
    ...settings,
  };
  const script = target === 'durable' ? ['--import', 'tsx', 'bench/servers/koa-durable.ts'] : [join(target, 'main.js')];
  return startChild({ name: side, args: [...node, ...script], port, env, logFile });
}

function load(
  server: Child,
  options: Options,
  headers: Readonly<Record<string, string>>,
  seconds: number,
): Promise<LoadResult | undefined> {
  if (options.ab !== undefined) return runAb(server.url, issueBody('CS'), options.ab, options.connections, headers);
  return measureLoad({
    url: server.url,
    bodies: [issueBody('CS')],
    connections: options.connections,
    keyed: options.keyed,
    headers,
    warmupSeconds: 0,
    measureSeconds: seconds,
  });
}

async function burst(
  server: Child,
  options: Options,
  headers: Readonly<Record<string, string>>,
  brokerPid: number | undefined,
  seconds = options.seconds,
): Promise<Burst> {
  const cpu = cpuMeter(server.pid);
  const brokerCpu = cpuMeter(brokerPid);
  const result = await load(server, options, headers, seconds);
  if (result === undefined) throw new Error('ab is not installed (Debian: apt-get install apache2-utils)');
  return {
    requests: result.total,
    requestsPerSecond: result.requestsPerSecond,
    cpuPerRequestUs: cpu.perResponseUs(result.total) ?? Number.NaN,
    brokerCpuPerRequestUs: brokerCpu.perResponseUs(result.total) ?? Number.NaN,
    p99Ms: result.latencyMs.p99,
    unexpected: result.total - (result.statuses['2xx'] ?? result.statuses['201'] ?? 0) + result.errors,
  };
}

/** The broker's process when this tool started it (from scripts/kafka/kafka.sh's pid file), else undefined. */
function brokerProcess(kafkaPort: number, kafkaBrokers: string | undefined): number | undefined {
  const pidFile = `.kafka/broker-${kafkaPort}/broker.pid`;
  return kafkaBrokers === undefined && existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  if ([options.a, options.b].includes('dist')) {
    const build = await runCommand('npm', ['run', 'build']);
    if (build.code !== 0) throw new Error(`npm run build failed:\n${build.output}`);
  }
  const places = benchPlaces(process.env);
  let brokers: Promise<string> | undefined;
  const broker = (): Promise<string> => (brokers ??= Promise.resolve(places.kafkaBrokers ?? startEmbeddedBroker(places.kafkaPort)));
  const port = places.basePort + 10;
  const servers: Child[] = [];
  // The provider only for --auth=jwt; the off and key modes' credentials need none.
  const credentials: AuthCredentials = await authCredentials(new Set(options.auth === 'jwt' ? ['jwt'] : []));
  const mode = options.auth === 'none' ? 'off' : options.auth;
  const headers = credentials.headers[mode];
  try {
    const authEnv = options.auth === 'jwt' ? credentials.env.jwt : {};
    servers.push(
      await start('a', options.a, port, broker, options.gc, { ...authEnv, ...options.env[0] }),
      await start('b', options.b, port + 1, broker, options.gc, { ...authEnv, ...options.env[1] }),
    );
    const brokerPid = brokerProcess(places.kafkaPort, places.kafkaBrokers);
    const each = options.ab === undefined ? `${options.seconds} s of autocannon` : `ab -n ${options.ab}`;
    say(`warming both up, then ${options.rounds} rounds of ${each} -c ${options.connections}, a then b`);
    for (const server of servers) await burst(server, options, headers, brokerPid, 3);
    // The GC trace goes to each server's log: what the rounds add to it is theirs.
    const traced = servers.map((server) => server.output().length);
    const bursts: Burst[][] = [[], []];
    for (let round = 0; round < options.rounds; round++) {
      for (const [side, server] of servers.entries()) bursts[side]!.push(await burst(server, options, headers, brokerPid));
    }
    const summary = ['a', 'b'].map((side, index) => {
      const mine = bursts[index]!;
      const requests = mine.reduce((sum, each) => sum + each.requests, 0);
      return {
        side,
        target: index === 0 ? options.a : options.b,
        requests,
        medianRequestsPerSecond: median(mine.map((each) => each.requestsPerSecond)),
        cpuPerRequestUs: Math.round((mine.reduce((sum, each) => sum + each.cpuPerRequestUs * each.requests, 0) / requests) * 10) / 10,
        medianCpuPerRequestUs: Math.round(median(mine.map((each) => each.cpuPerRequestUs)) * 10) / 10,
        medianBrokerCpuPerRequestUs: Math.round(median(mine.map((each) => each.brokerCpuPerRequestUs)) * 10) / 10,
        medianP99Ms: median(mine.map((each) => each.p99Ms)),
        unexpected: mine.reduce((sum, each) => sum + each.unexpected, 0),
        ...(options.gc ? { scavenges: scavengeStats(servers[index]!.output().slice(traced[index]), requests) } : {}),
      };
    });
    const bCheaper = bursts[1]!.filter((each, round) => each.cpuPerRequestUs < bursts[0]![round]!.cpuPerRequestUs).length;
    for (const row of summary) {
      const broker = Number.isNaN(row.medianBrokerCpuPerRequestUs) ? '' : `, broker ${row.medianBrokerCpuPerRequestUs} µs`;
      say(
        `${row.side} ${row.target}: ${row.requests} requests, median burst ${row.medianRequestsPerSecond} req/s, ` +
          `${row.cpuPerRequestUs} µs CPU per request (median burst ${row.medianCpuPerRequestUs}${broker}), ` +
          `median p99 ${row.medianP99Ms} ms, ${row.unexpected} not 201`,
      );
      if (row.scavenges !== undefined) {
        const { scavenges, pauseMsPerScavenge, gcUsPerRequest, promotedMbPerScavenge } = row.scavenges;
        say(
          `${row.side} ${row.target}: ${scavenges} scavenges, ${pauseMsPerScavenge} ms each, ${gcUsPerRequest} µs per request, ` +
            `${promotedMbPerScavenge} MB promoted per scavenge`,
        );
      }
    }
    const ratio = summary[1]!.medianRequestsPerSecond / summary[0]!.medianRequestsPerSecond;
    say(`b was cheaper per request in ${bCheaper} of ${options.rounds} rounds; b's median throughput is ${ratio.toFixed(2)} of a's`);
    console.log(JSON.stringify({ options, summary, bCheaperRounds: bCheaper, bursts }, null, 1));
    if (summary.some((row) => row.unexpected > 0)) process.exitCode = 1;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await credentials.stop();
  }
}

main().catch((error: unknown) => {
  console.error('[side-by-side] fatal:', error);
  process.exit(1);
});
