import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { cpuUsage } from 'node:process';
import { startEmbeddedBroker } from '../src/embedded-broker.js';
import { createKafka } from '../src/log/kafka-config.js';
import { ensureTopic } from '../src/log/topic.js';
import { encodeValue } from '../src/log/record.js';
import { summarise } from './stats.js';

/**
 * The client spike: kafkajs (the service's producer settings) against @platformatic/kafka, side by
 * side on one broker and one topic, sequential acks=all produces of 1 and of 20 certificate records,
 * the way the service writes. Reports round-trip latency and this process's CPU per produce.
 *
 *   npm run bench:client-spike    (under Node 22.22 or later: @platformatic/kafka needs it)
 */
const SENDS = Number(process.env.BENCH_SPIKE_SENDS ?? 2000);

function record(number: number): string {
  return encodeValue({
    id: `CS-${number}`,
    class: 'CS',
    number,
    name: 'Salt Bae',
    amount: 1,
    issuedAt: new Date().toISOString(),
    sharesIssued: number,
    offset: number - 1,
    request: `spike-${number}`,
  });
}

async function measure(label: string, batch: number, send: (values: string[]) => Promise<unknown>) {
  const values = Array.from({ length: batch }, (_, i) => record(i + 1));
  for (let i = 0; i < 100; i++) await send(values);
  const samples: number[] = [];
  const cpu = cpuUsage();
  const started = performance.now();
  for (let i = 0; i < SENDS; i++) {
    const before = performance.now();
    await send(values);
    samples.push(performance.now() - before);
  }
  const wall = performance.now() - started;
  const used = cpuUsage(cpu);
  const result = {
    client: label,
    recordsPerProduce: batch,
    producesPerSecond: Math.round(SENDS / (wall / 1000)),
    latencyMs: summarise(samples),
    cpuPerProduceUs: Math.round((used.user + used.system) / SENDS),
  };
  console.log(JSON.stringify(result));
  return result;
}

async function main(): Promise<void> {
  const brokers = process.env.BENCH_KAFKA_BROKERS ?? (await startEmbeddedBroker(Number(process.env.BENCH_KAFKA_PORT ?? 29492)));
  const topic = `bench-spike-${Date.now()}`;
  const kafka = createKafka({ brokers: [brokers], topic, clientId: 'bench-spike-kafkajs' });
  await ensureTopic(kafka, { topic });
  const kafkajs = kafka.producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await kafkajs.connect();
  const platformatic = new Producer({ clientId: 'bench-spike-platformatic', bootstrapBrokers: [brokers], serializers: stringSerializers });
  try {
    // Interleaved, twice, against the machine's drift.
    for (let round = 0; round < 2; round++) {
      for (const batch of [1, 20]) {
        await measure('kafkajs 2.2.4', batch, (values) =>
          kafkajs.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'CS', value })) }),
        );
        await measure('@platformatic/kafka 2.12.1', batch, (values) =>
          platformatic.send({ messages: values.map((value) => ({ topic, key: 'CS', value })), acks: ProduceAcks.ALL }),
        );
      }
    }
  } finally {
    await kafkajs.disconnect();
    await platformatic.close();
  }
}

main().catch((error: unknown) => {
  console.error('[spike] fatal:', error);
  process.exit(1);
});
