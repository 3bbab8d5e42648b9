import { locateLeader } from '../../../src/log/wire/metadata.js';
import { PartitionProducer } from '../../../src/log/wire/partition-producer.js';

/** src/log/wire's PartitionProducer for partition 0 of `topic`, set up as KafkaLedger sets it up, connected. */
export async function wireProducer(brokers: string, topic: string): Promise<PartitionProducer> {
  const connection = { clientId: 'spike-wire', connectTimeoutMs: 3000, requestTimeoutMs: 5000 };
  const bootstrap = brokers.split(',').map((broker) => {
    const at = broker.lastIndexOf(':');
    return { host: broker.slice(0, at), port: Number(broker.slice(at + 1)) };
  });
  const producer = new PartitionProducer({
    ...connection,
    topic,
    partition: 0,
    attempts: 4,
    backoffMs: 100,
    maxBackoffMs: 1000,
    locateLeader: () => locateLeader(bootstrap, connection, topic, 0),
  });
  await producer.connect();
  return producer;
}
