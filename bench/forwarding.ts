import { join } from 'node:path';
import { startEmbeddedBroker } from '../src/embedded-broker.js';
import { runCommand, startChild, type Child } from './children.js';
import { cpuSeconds } from './cpu.js';
import { measureLoad } from './load.js';
import { benchPlaces } from './options.js';
import { issueBody } from './scenarios.js';

/**
 * What one writer can carry when other instances take the HTTP: three instances on one topic; the
 * same load (autocannon, 20 connections) first straight at the writer, then split over the two
 * followers, which forward to it. The writer's CPU time per certificate in each case (utime + stime
 * from /proc) gives the projected ceiling of one writer fed by N edge instances: one core over its
 * CPU per forwarded certificate.
 *
 *   npm run bench:forwarding
 */
const RESULTS = 'bench/results';
const say = (message: string): void => console.error(`[forwarding] ${message}`);
async function role(child: Child): Promise<string> {
  const body = (await (await fetch(`${child.url}readyz`)).json()) as { role?: string };
  return body.role ?? 'unknown';
}

async function measure(label: string, writer: Child, targets: readonly Child[], seconds: number) {
  const before = cpuSeconds(writer.pid);
  const loads = await Promise.all(
    targets.map((target) =>
      measureLoad({
        url: target.url,
        bodies: [issueBody('CS')],
        connections: Math.round(20 / targets.length),
        warmupSeconds: 0,
        measureSeconds: seconds,
      }),
    ),
  );
  const writerCpu = cpuSeconds(writer.pid) - before;
  const certificates = loads.reduce((sum, load) => sum + (load.statuses['201'] ?? 0), 0);
  const perCertificateUs = (writerCpu / certificates) * 1e6;
  const result = {
    label,
    certificatesPerSecond: Math.round(certificates / seconds),
    writerCpuSeconds: Math.round(writerCpu * 100) / 100,
    writerCpuPerCertificateUs: Math.round(perCertificateUs * 10) / 10,
    projectedWriterCeiling: Math.round(1e6 / perCertificateUs),
    other: loads.reduce((sum, load) => sum + load.total - (load.statuses['201'] ?? 0) + load.errors, 0),
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
    await measure('warm-up', writer, [writer, ...followers], 3);
    const results = [];
    for (let round = 0; round < 2; round++) {
      results.push(await measure('direct: all load at the writer', writer, [writer], seconds));
      results.push(await measure('forwarded: all load at the two followers', writer, followers, seconds));
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
