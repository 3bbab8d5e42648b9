import { Kafka, logLevel } from 'kafkajs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker } from '../src/log/embedded-broker.js';
import { benchLedger } from './lib/kafka.js';
import { writeEntries } from '../src/actors/log-writer.js';
import { DEFAULTS } from '../src/config.js';
import type { CertificateRecord } from '../src/core/certificate.js';
import { LogState } from '../src/core/log-state.js';
import type { ShareClassConfig } from '../src/core/share-class.js';
import type { SigningKeys } from '../src/signing/signing-keys.js';
import { SIGNING_FILE, signingKeys } from '../test/support/signing.js';
import { startChild } from '../test/support/child-process.js';
import { authorizedFetch } from '../test/support/credentials.js';
import { runCommand } from './lib/children.js';
import { benchPlaces } from './lib/options.js';
import { rssMiB } from './lib/rss.js';

/**
 * Start-up at scale: fills a fresh topic with N valid certificates (one share each, CS first up to
 * its 2,600,000 authorized, then PS: 3,350,000 is every authorized share of the default classes),
 * written as the service writes them: `--per-write` certificates a write, each write signed by a
 * seal record (src/actors/log-writer.ts writeEntries, the writer's own code) with the key of
 * SIGNING_KEY_FILE (the test support's key file when unset), or with `--unsigned` no seals, as a
 * service with SIGNING_DISABLED=1 writes. Then it starts the built service on it twice with one
 * state directory and measures each start: the time until it answers HTTP (it listens only once the
 * log is read), its largest resident set from spawn on, and its resident set once settled. The first
 * start reads (and verifies) the whole log and leaves a snapshot; the second starts from it.
 *
 *   npm run bench:scale -- --certificates=3350000 [--per-write=100] [--unsigned]
 */
const RESULTS = 'bench/results';
const CLASSES: readonly ShareClassConfig[] = [
  { code: 'CS', authorized: 2_600_000 },
  { code: 'PS', authorized: 750_000 },
];
// Records per produce request: under the broker's 1 MB message limit at ~250 bytes a record.
const PER_SEND = 3000;

const say = (message: string): void => console.error(`[scale] ${message}`);

interface Options {
  readonly certificates: number;
  /** Certificates per write: each write is one seal, so one signature to check on a full read. */
  readonly perWrite: number;
  readonly signed: boolean;
}

function parse(argv: readonly string[]): Options {
  const value = (name: string, fallback: string): string =>
    argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const stray = argv.filter((arg) => !['--certificates=', '--per-write=', '--unsigned'].some((known) => arg.startsWith(known)));
  if (stray.length > 0) throw new Error(`Unknown argument(s) ${stray.join(' ')}; known: --certificates=N --per-write=N --unsigned`);
  const most = CLASSES.reduce((sum, { authorized }) => sum + authorized, 0);
  const certificates = Number(value('certificates', '1000000'));
  if (!Number.isSafeInteger(certificates) || certificates < 1 || certificates > most) {
    throw new Error(`Expected --certificates from 1 to ${most}, got ${value('certificates', '')}`);
  }
  const perWrite = Number(value('per-write', '100'));
  if (!Number.isSafeInteger(perWrite) || perWrite < 1 || perWrite >= PER_SEND) {
    throw new Error(`Expected --per-write from 1 to ${PER_SEND - 1}, got ${value('per-write', '')}`);
  }
  return { certificates, perWrite, signed: !argv.includes('--unsigned') };
}

/**
 * Writes the certificates as a writer would, write by write, applying each write to a LogState as
 * the writer does (which the next write's head continues), several writes to a produce request.
 * Returns how many writes (seals, when signed) the topic holds.
 */
async function fill(brokers: string, topic: string, options: Options, keys: SigningKeys | undefined): Promise<number> {
  const ledger = benchLedger(brokers, topic, 'bench-scale');
  await ledger.connect();
  await ledger.disconnect();
  const producer = new Kafka({ clientId: 'bench-scale', brokers: [brokers], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const started = Date.now();
  const state = new LogState(CLASSES, DEFAULTS.keyWindow, undefined, keys);
  let messages: Array<{ key: string; value: string }> = [];
  let written = 0;
  let writes = 0;
  for (const { code, authorized } of CLASSES) {
    const here = Math.min(authorized, options.certificates - written);
    for (let first = 1; first <= here; first += options.perWrite) {
      const now = new Date();
      const issuedAt = now.toISOString();
      const records: CertificateRecord[] = [];
      for (let number = first; number < Math.min(first + options.perWrite, here + 1); number++) {
        // Distinct 14-character holders: identical names would share one string and flatter the memory figure.
        const name = `Holder ${String(written).padStart(7, '0')}`;
        records.push({
          id: `${code}-${number}`,
          class: code,
          number,
          name,
          amount: 1,
          issuedAt,
          sharesIssued: number,
          request: `scale-${written}`,
        });
        written += 1;
      }
      const entries = writeEntries(state, records, keys, () => now);
      state.apply(entries);
      writes += 1;
      if (messages.length + entries.length > PER_SEND) {
        await producer.send({ topic, acks: -1, messages });
        messages = [];
      }
      for (const { key, value } of entries) messages.push({ key, value });
    }
    if (written >= options.certificates) break;
  }
  if (messages.length > 0) await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
  say(`wrote ${written} certificates in ${writes} writes (${state.end} records) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return writes;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const places = benchPlaces(process.env);
  const brokers = places.kafkaBrokers ?? (await startEmbeddedBroker(places.kafkaPort));
  const topic = `bench-scale-${options.signed ? 'signed' : 'unsigned'}-${options.certificates}-${Date.now()}`;
  const keyFile = process.env.SIGNING_KEY_FILE?.trim() || SIGNING_FILE;
  const writes = await fill(brokers, topic, options, options.signed ? signingKeys(keyFile) : undefined);
  const build = await runCommand('npm', ['run', 'build']);
  if (build.code !== 0) throw new Error(`npm run build failed:\n${build.output}`);

  const port = places.basePort + 4;
  // The service signs with the key the topic was signed with, or, as the unsigned topic's writer, not at all.
  const signing: Record<string, string> = options.signed ? { SIGNING_KEY_FILE: keyFile } : { SIGNING_DISABLED: '1' };
  // One snapshot directory, empty at first: the first start reads the whole log and leaves a
  // snapshot; the others start from it.
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-scale-state-'));
  try {
    const results = [];
    for (const start of ['whole log', 'from the snapshot', 'from the snapshot']) {
      results.push({ start, ...(await measureStart(brokers, topic, port, { STATE_DIR: stateDir, ...signing })) });
    }
    // The key file too: measuring this topic again needs the key that signed it.
    console.log(JSON.stringify({ topic, ...options, ...(options.signed ? { keyFile } : {}), writes, starts: results }, null, 1));
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function measureStart(brokers: string, topic: string, port: number, env: Readonly<Record<string, string>>) {
  const started = performance.now();
  const service = await startChild({
    name: 'scale',
    args: ['dist/main.js'],
    port,
    env: { PORT: String(port), HOST: '127.0.0.1', KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, ...env },
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
