import { KafkaLedger } from '../src/log/kafka-ledger.js';
import type { ScenarioResult } from './model.js';
import { summarise } from './stats.js';

/**
 * The Kafka floor: one record per produce, sequentially, through the service's own write path
 * (KafkaLedger.append). A batch cycle of the service can never be shorter than one of these round trips.
 */
export async function measureKafkaFloor(brokers: readonly string[], topic: string, sends: number): Promise<ScenarioResult> {
  const ledger = new KafkaLedger({ brokers, topic, clientId: 'bench-floor' });
  await ledger.connect();
  try {
    const record = {
      id: 'CS-1',
      class: 'CS',
      number: 1,
      name: 'Salt Bae',
      amount: 10,
      issuedAt: new Date().toISOString(),
      sharesIssued: 10,
    };
    const send = (): Promise<unknown> => ledger.append([record]);
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
  } finally {
    await ledger.disconnect();
  }
}
