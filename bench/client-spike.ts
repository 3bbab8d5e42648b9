import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { startEmbeddedBroker } from '../src/embedded-broker.js';
import { createKafka } from '../src/log/kafka-config.js';
import { ensureTopic } from '../src/log/topic.js';
import { benchPlaces } from './options.js';
import { measureProduces } from './produce-sample.js';

/**
 * The client spike: kafkajs (the service's producer settings) against @platformatic/kafka, side by
 * side on one broker and one topic, sequential acks=all produces of 1 and of 20 certificate records,
 * the way the service writes. Reports round-trip latency and this process's CPU per produce.
 *
 *   npm run bench:client-spike    (under Node 22.22 or later: @platformatic/kafka needs it)
 */
const SENDS = Number(process.env.BENCH_SPIKE_SENDS ?? 2000);

async function main(): Promise<void> {
  const places = benchPlaces(process.env);
  const brokers = places.kafkaBrokers ?? (await startEmbeddedBroker(places.kafkaPort));
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
        await measureProduces('kafkajs 2.2.4', batch, SENDS, (values) =>
          kafkajs.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'CS', value })) }),
        );
        await measureProduces('@platformatic/kafka 2.12.1', batch, SENDS, (values) =>
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
