import { readFileSync } from 'node:fs';
import { startEmbeddedBroker } from '../src/log/embedded-broker.js';
import { benchLedger } from './lib/kafka.js';
import { locateLeader } from '../src/log/wire/metadata.js';
import { PartitionProducer } from '../src/log/wire/partition-producer.js';
import { benchPlaces } from './lib/options.js';
import { measureProduces } from './lib/produce-sample.js';

/**
 * What one write costs, by the client that makes it: kafkajs's producer (what the service used
 * before src/log/wire/) against the service's own produce path, side by side on one broker and one
 * topic, sequential acks=all produces of 1, 10, 20 and 100 certificate records. Reports round-trip
 * latency, this process's CPU per produce and the broker's (when the bench started the broker).
 *
 *   npm run bench:produce-cost
 */
const SENDS = Number(process.env.BENCH_PRODUCE_SENDS ?? 2000);

async function main(): Promise<void> {
  const { kafkaBrokers, kafkaPort } = benchPlaces(process.env);
  const brokers = kafkaBrokers ?? (await startEmbeddedBroker(kafkaPort));
  const pidFile = `.kafka/broker-${kafkaPort}/broker.pid`;
  const brokerPid = kafkaBrokers === undefined ? Number(readFileSync(pidFile, 'utf8')) : undefined;
  const topic = `bench-produce-${Date.now()}`;
  const ledger = benchLedger(brokers, topic, 'bench-produce');
  await ledger.connect();
  const kafkajs = ledger.client.producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await kafkajs.connect();
  const [host, portText] = brokers.split(':');
  const connection = { clientId: 'bench-produce', connectTimeoutMs: 3000, requestTimeoutMs: 5000 };
  const wire = new PartitionProducer({
    topic,
    partition: 0,
    ...connection,
    attempts: 1,
    backoffMs: 100,
    maxBackoffMs: 100,
    locateLeader: () => locateLeader([{ host: host!, port: Number(portText) }], connection, topic, 0),
  });
  await wire.connect();
  try {
    // Interleaved, twice, against the machine's drift.
    for (let round = 0; round < 2; round++) {
      for (const batch of [1, 10, 20, 100]) {
        await measureProduces(
          'kafkajs 2.2.4',
          batch,
          SENDS,
          (values) => kafkajs.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'CS', value })) }),
          brokerPid,
        );
        await measureProduces(
          'src/log/wire',
          batch,
          SENDS,
          (values) =>
            wire.produce(
              values.map((value) => ({ key: 'CS', value })),
              5000,
            ),
          brokerPid,
        );
      }
    }
  } finally {
    await kafkajs.disconnect();
    wire.close();
    await ledger.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error('[produce-cost] fatal:', error);
  process.exit(1);
});
