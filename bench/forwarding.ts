import { join } from 'node:path';
import { FORWARD_PATH } from '../src/cluster/forward-protocol.js';
import { startEmbeddedBroker } from '../src/log/embedded-broker.js';
import { startChild, type Child } from '../test/support/child-process.js';
import { authorizedFetch } from '../test/support/credentials.js';
import { runCommand } from './lib/children.js';
import { cpuMeter } from './lib/cpu.js';
import { measureLoad } from './lib/load.js';
import { benchPlaces } from './lib/options.js';
import { issueBody } from './lib/scenarios.js';

/**
 * What one writer can carry when other instances take the HTTP: three instances on one topic; the
 * same load (autocannon, 20 connections) first straight at the writer, then split over the two
 * followers, which forward to it; then the followers' calls sent by the load generator, since on a
 * small machine the followers take the writer's cores. The writer's CPU time per certificate in each
 * case (utime + stime from /proc) gives the projected ceiling of one writer fed by N edge instances:
 * one core over its CPU per forwarded certificate.
 *
 *   npm run bench:forwarding
 */
const RESULTS = 'bench/results';
const say = (message: string): void => console.error(`[forwarding] ${message}`);
async function role(child: Child): Promise<string> {
  const body = (await (await authorizedFetch(`${child.url}/readyz`)).json()) as { role?: string };
  return body.role ?? 'unknown';
}

/** A load and how to count the certificates in its answers. */
interface Load {
  readonly url: string;
  readonly body: object;
  readonly connections: number;
  /** The status of an answered request, and the certificates one such answer carries. */
  readonly status: '200' | '201';
  readonly certificates: number;
}

/** The public POST at one instance: one certificate per 201. */
const posts = (target: Child, connections: number): Load => ({
  url: target.url,
  body: issueBody('CS'),
  connections,
  status: '201',
  certificates: 1,
});

/** Requests in one forwarding call: about what each follower sent under the forwarded load (4.9). */
const CALL_SIZE = 5;

/**
 * The calls two followers make, one in flight each, sent by the load generator instead: the writer's
 * cost per forwarded certificate with no follower taking the same cores. The classes are unlimited,
 * so every result in a 200 is a certificate.
 */
const calls = (writer: Child): Load => ({
  url: `${writer.url}${FORWARD_PATH}`,
  body: { requests: Array.from({ length: CALL_SIZE }, () => issueBody('CS')) },
  connections: 2,
  status: '200',
  certificates: CALL_SIZE,
});

async function measure(label: string, writer: Child, loads: readonly Load[], seconds: number) {
  const writerCpu = cpuMeter(writer.pid);
  const results = await Promise.all(
    loads.map((load) =>
      measureLoad({ url: load.url, bodies: [load.body], connections: load.connections, warmupSeconds: 0, measureSeconds: seconds }),
    ),
  );
  const answered = results.map((result, index) => result.statuses[loads[index]!.status] ?? 0);
  const certificates = answered.reduce((sum, count, index) => sum + count * loads[index]!.certificates, 0);
  const perCertificateUs = writerCpu.perResponseUs(certificates) ?? Number.NaN;
  const result = {
    label,
    certificatesPerSecond: Math.round(certificates / seconds),
    writerCpuSeconds: Math.round((perCertificateUs * certificates) / 1e4) / 100,
    writerCpuPerCertificateUs: Math.round(perCertificateUs * 10) / 10,
    projectedWriterCeiling: Math.round(1e6 / perCertificateUs),
    other: results.reduce((sum, result, index) => sum + result.total - answered[index]! + result.errors, 0),
  };
  say(JSON.stringify(result));
  return result;
}

async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_DURATION ?? 10);
  const places = benchPlaces(process.env);
  const brokers = places.kafkaBrokers ?? (await startEmbeddedBroker(places.kafkaPort));
  const build = await runCommand('npm', ['run', 'build']);
  if (build.code !== 0) throw new Error(`npm run build failed:\n${build.output}`);
  const topic = `bench-forwarding-${Date.now()}`;
  const base = places.basePort + 5;
  const instances: Child[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = base + i;
      instances.push(
        await startChild({
          name: `instance-${i}`,
          args: ['dist/main.js'],
          port,
          env: {
            PORT: String(port),
            HOST: '127.0.0.1',
            ADVERTISED_URL: `http://127.0.0.1:${port}`,
            KAFKA_BROKERS: brokers,
            KAFKA_TOPIC: topic,
            SHARE_CLASSES: 'CS=1000000000000000,PS=1000000000000000',
          },
          logFile: join(RESULTS, `service-forwarding-${i}.log`),
        }),
      );
    }
    let roles: string[] = [];
    for (let waited = 0; waited < 30 && roles.filter((r) => r === 'writer').length !== 1; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      roles = await Promise.all(instances.map(role));
    }
    const writer = instances[roles.indexOf('writer')];
    if (writer === undefined) throw new Error(`no writer elected: ${roles.join(', ')}`);
    const followers = instances.filter((instance) => instance !== writer);
    // Warm every path up once, then measure each twice, interleaved, against the machine's drift.
    await measure(
      'warm-up',
      writer,
      [writer, ...followers].map((target) => posts(target, 7)),
      3,
    );
    const results = [];
    for (let round = 0; round < 2; round++) {
      results.push(await measure('direct: all load at the writer', writer, [posts(writer, 20)], seconds));
      results.push(
        await measure(
          'forwarded: all load at the two followers',
          writer,
          followers.map((follower) => posts(follower, 10)),
          seconds,
        ),
      );
      results.push(await measure(`calls of ${CALL_SIZE} at the writer, as two followers send them`, writer, [calls(writer)], seconds));
    }
    console.log(JSON.stringify(results, null, 1));
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
}

main().catch((error: unknown) => {
  console.error('[forwarding] fatal:', error);
  process.exit(1);
});
