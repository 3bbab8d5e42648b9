import { Kafka, logLevel } from 'kafkajs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker } from '../src/log/embedded-broker.js';
import { benchLedger } from './lib/kafka.js';
import { encodeValue } from '../src/core/record-format.js';
import { startChild } from '../test/support/child-process.js';
import { authorizedFetch } from '../test/support/credentials.js';
import { runCommand } from './lib/children.js';
import { benchPlaces } from './lib/options.js';
import { rssMiB } from './lib/rss.js';

/**
 * Start-up at scale: fills a fresh topic with N valid certificates (one share each, CS first up to
 * its 2,600,000 authorized, then PS: 3,350,000 is every authorized share of the default classes),
 * then starts the built service on it and measures the time until it answers HTTP (it listens only
 * once the log is read), its largest resident set from spawn on, and its resident set once settled.
 *
 *   npm run bench:scale -- --certificates=1000000
 */
const RESULTS = 'bench/results';
const CLASSES: ReadonlyArray<readonly [string, number]> = [
  ['CS', 2_600_000],
  ['PS', 750_000],
];
// Records per produce request: under the broker's 1 MB message limit at ~230 bytes a record.
const PER_SEND = 3000;
// Certificates of one write share an issuedAt, as the service's batches do.
const PER_BATCH = 100;

const say = (message: string): void => console.error(`[scale] ${message}`);

function certificatesWanted(argv: readonly string[]): number {
  const raw = argv.find((arg) => arg.startsWith('--certificates='))?.split('=')[1] ?? '1000000';
  const count = Number(raw);
  const most = CLASSES.reduce((sum, [, authorized]) => sum + authorized, 0);
  if (!Number.isSafeInteger(count) || count < 1 || count > most) throw new Error(`Expected --certificates from 1 to ${most}, got ${raw}`);
  return count;
}

async function fill(brokers: string, topic: string, count: number): Promise<void> {
  const ledger = benchLedger(brokers, topic, 'bench-scale');
  await ledger.connect();
  await ledger.disconnect();
  const producer = new Kafka({ clientId: 'bench-scale', brokers: [brokers], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const started = Date.now();
  let offset = 0;
  const issuedAt = new Date(Date.UTC(2026, 0, 1));
  for (const [shareClass, authorized] of CLASSES) {
    const here = Math.min(authorized, count - offset);
    for (let first = 1; first <= here; first += PER_SEND) {
      const messages = [];
      for (let number = first; number < Math.min(first + PER_SEND, here + 1); number++) {
        const at = new Date(issuedAt.getTime() + Math.floor(offset / PER_BATCH)).toISOString();
        // Distinct 14-character holders: identical names would share one string and flatter the memory figure.
        const name = `Holder ${String(offset).padStart(7, '0')}`;
        const record = {
          id: `${shareClass}-${number}`,
          class: shareClass,
          number,
          name,
          amount: 1,
          issuedAt: at,
          sharesIssued: number,
          offset,
          request: `scale-${offset}`,
        };
        messages.push({ key: shareClass, value: encodeValue(record) });
        offset += 1;
      }
      await producer.send({ topic, acks: -1, messages });
    }
    if (offset >= count) break;
  }
  await producer.disconnect();
  say(`wrote ${offset} certificates in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const count = certificatesWanted(process.argv.slice(2));
  const places = benchPlaces(process.env);
  const brokers = places.kafkaBrokers ?? (await startEmbeddedBroker(places.kafkaPort));
  const topic = `bench-scale-${count}-${Date.now()}`;
  await fill(brokers, topic, count);
  const build = await runCommand('npm', ['run', 'build']);
  if (build.code !== 0) throw new Error(`npm run build failed:\n${build.output}`);

  const port = places.basePort + 4;
  // Each start gets a snapshot directory of its own, empty: the first reads the whole log and leaves
  // a snapshot at its stop; the second starts from it.
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-scale-state-'));
  try {
    const results = [];
    for (const start of ['whole log', 'from the snapshot']) {
      results.push({ start, ...(await measureStart(brokers, topic, port, stateDir, count)) });
    }
    console.log(JSON.stringify(results, null, 1));
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function measureStart(brokers: string, topic: string, port: number, stateDir: string, count: number) {
  const started = performance.now();
  const service = await startChild({
    name: 'scale',
    args: ['dist/main.js'],
    port,
    env: { PORT: String(port), HOST: '127.0.0.1', KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, STATE_DIR: stateDir },
    logFile: join(RESULTS, 'service-scale.log'),
    readyTimeoutMs: 600_000,
  });
  const readyMs = performance.now() - started;
  try {
    const classes = (await (await authorizedFetch(`${service.url}/classes`)).json()) as {
      classes: Array<{ class: string; certificates: number }>;
    };
    // A lookup of the first certificate, read back from the index as restored.
    const first = (await (await authorizedFetch(`${service.url}/certificates/CS-1`)).json()) as { name?: string };
    // Settle: what the process holds once recovery's garbage can go.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const result = {
      certificates: count,
      readyMs: Math.round(readyMs),
      peakRssMiB: rssMiB(service.pid).peak,
      settledRssMiB: rssMiB(service.pid).now,
      classes: Object.fromEntries(classes.classes.map((entry) => [entry.class, entry.certificates])),
      first: first.name,
    };
    say(JSON.stringify(result));
    return result;
  } finally {
    await service.stop();
  }
}

main().catch((error: unknown) => {
  console.error('[scale] fatal:', error);
  process.exit(1);
});
