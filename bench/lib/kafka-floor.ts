import { encodeRecords } from '../../src/core/record-format.js';
import type { KafkaLedger } from '../../src/log/kafka-ledger.js';
import { benchLedger } from './kafka.js';
import type { BrokerWarmup, ScenarioResult } from './model.js';
import { summarise } from './stats.js';

const RECORD = {
  id: 'CS-1',
  class: 'CS',
  number: 1,
  name: 'Salt Bae',
  amount: 10,
  issuedAt: new Date().toISOString(),
  sharesIssued: 10,
};

/** A write of the service's usual batch under load (~9 certificates, `certificates_batch_size`). */
const WARMUP_BATCH = encodeRecords(Array.from({ length: 9 }, () => RECORD));
/** The warm-up reports its first and last this many produces: how far the broker had to come. */
const WARMUP_WINDOW = 2000;

async function withLedger<T>(brokers: readonly string[], topic: string, use: (ledger: KafkaLedger) => Promise<T>): Promise<T> {
  const ledger = benchLedger(brokers, topic, 'bench-floor');
  await ledger.connect();
  try {
    return await use(ledger);
  } finally {
    await ledger.disconnect();
  }
}

/**
 * Sequential produces of the service's usual batch, enough for the broker's JVM to compile its
 * produce path (40,000 by default, `--broker-warmup`). A freshly started broker spends ~1.4 ms of
 * CPU on each of its first produces and ~0.2 ms once ~30,000 have passed, and the service's bench
 * load makes only ~700 produces a second: without this, the first service scenarios measure the
 * broker's JIT compiler on the cores they share.
 */
export function warmBroker(brokers: readonly string[], topic: string, produces: number): Promise<BrokerWarmup> {
  return withLedger(brokers, topic, async (ledger) => {
    const window = Math.min(WARMUP_WINDOW, produces);
    const started = performance.now();
    let firstEnd: number | undefined;
    let lastStart = started;
    for (let i = 0; i < produces; i += 1) {
      if (i === window) firstEnd = performance.now();
      if (i === produces - window) lastStart = performance.now();
      await ledger.append(WARMUP_BATCH);
    }
    const ended = performance.now();
    const each = (ms: number): number => Math.round((ms * 1000) / window) / 1000;
    return {
      produces,
      recordsPerProduce: WARMUP_BATCH.length,
      seconds: Math.round(ended - started) / 1000,
      firstMsEach: each((firstEnd ?? ended) - started),
      lastMsEach: each(ended - lastStart),
    };
  });
}

/**
 * The Kafka floor: one record per produce, sequentially, through the service's own write path
 * (KafkaLedger.append). A batch cycle of the service can never be shorter than one of these round trips.
 */
export function measureKafkaFloor(brokers: readonly string[], topic: string, sends: number): Promise<ScenarioResult> {
  return withLedger(brokers, topic, async (ledger) => {
    const send = (): Promise<unknown> => ledger.append(encodeRecords([RECORD]));
    // Connection setup and JIT warm-up are not part of a round trip.
    for (let i = 0; i < Math.min(100, sends); i += 1) await send();
    const samples: number[] = [];
    const started = performance.now();
    for (let i = 0; i < sends; i += 1) {
      const before = performance.now();
      await send();
      samples.push(performance.now() - before);
    }
    const elapsedSeconds = (performance.now() - started) / 1000;
    return {
      id: 'k',
      label: 'Kafka floor: 1 record/produce, sequential',
      tool: 'ledger',
      requestsPerSecond: Math.round(sends / elapsedSeconds),
      latencyMs: summarise(samples),
      total: sends,
      statuses: {},
      non2xx: 0,
      errors: 0,
      timeouts: 0,
    };
  });
}
