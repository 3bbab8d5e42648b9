import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import type { Kafka } from 'kafkajs';
import { certificateValues, cpuUs, mid, percentile, round3 } from './common.js';
import { wireProducer } from './wire-producer.js';

/** One way of appending a batch of certificate records (key = class code) with acks=all, one produce in flight. */
export interface ProduceClient {
  readonly name: string;
  send(values: readonly string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** src/log/wire's PartitionProducer, set up the way KafkaLedger sets it up. */
export async function wireClient(brokers: string, topic: string): Promise<ProduceClient> {
  const producer = await wireProducer(brokers, topic);
  return {
    name: 'src/log/wire',
    send: (values) =>
      producer.produce(
        values.map((value) => ({ key: 'CS', value })),
        5000,
      ),
    close: async () => producer.close(),
  };
}

/** kafkajs's producer as the service used it before src/log/wire: not idempotent, one request in flight. */
export async function kafkajsClient(kafka: Kafka, topic: string): Promise<ProduceClient> {
  const producer = kafka.producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return {
    name: 'kafkajs',
    send: (values) => producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'CS', value })) }),
    close: () => producer.disconnect(),
  };
}

/** @platformatic/kafka's Producer: acks=all, not idempotent (its default; idempotence would force maxInflights 1 and endless retries). */
export async function platformaticClient(brokers: string, topic: string): Promise<ProduceClient> {
  const producer = new Producer({
    clientId: 'spike-platformatic',
    bootstrapBrokers: brokers.split(','),
    serializers: stringSerializers,
    acks: ProduceAcks.ALL,
    idempotent: false,
    timeout: 5000,
  });
  await producer.metadata({ topics: [topic] });
  return {
    name: '@platformatic/kafka',
    send: (values) => producer.send({ messages: values.map((value) => ({ topic, partition: 0, key: 'CS', value })) }),
    close: () => producer.close(),
  };
}

export interface ProduceRound {
  readonly client: string;
  readonly records: number;
  readonly cpuPerProduceUs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Sequential produces of `records` records each, after a warm-up: this process's CPU per produce, latency percentiles. */
export async function measureProduce(client: ProduceClient, records: number, sends: number): Promise<ProduceRound> {
  const values = certificateValues(records);
  for (let i = 0; i < 100; i++) await client.send(values);
  const samples = new Float64Array(sends);
  const cpu = cpuUs();
  for (let i = 0; i < sends; i++) {
    const before = performance.now();
    await client.send(values);
    samples[i] = performance.now() - before;
  }
  const used = cpuUs() - cpu;
  return {
    client: client.name,
    records,
    cpuPerProduceUs: Math.round(used / sends),
    p50Ms: round3(percentile(samples, 0.5)),
    p99Ms: round3(percentile(samples, 0.99)),
  };
}

export interface ProduceSummary {
  readonly client: string;
  readonly records: number;
  readonly cpuPerProduceUs: number;
  readonly cpuPerRecordUs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Rounds of A, B, C, A, B, C...: each client measured once per batch size per round; medians of the rounds. */
export async function produceWorkload(clients: readonly ProduceClient[], rounds: number, sends: number): Promise<ProduceSummary[]> {
  const results: ProduceRound[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const records of [1, 20]) {
      for (const client of clients) {
        const result = await measureProduce(client, records, sends);
        console.log(JSON.stringify({ workload: 'produce', round, ...result }));
        results.push(result);
      }
    }
  }
  return [1, 20].flatMap((records) =>
    clients.map((client) => {
      const mine = results.filter((result) => result.client === client.name && result.records === records);
      const cpu = mid(mine.map((result) => result.cpuPerProduceUs));
      return {
        client: client.name,
        records,
        cpuPerProduceUs: cpu,
        cpuPerRecordUs: Math.round((cpu / records) * 10) / 10,
        p50Ms: mid(mine.map((result) => result.p50Ms * 1000)) / 1000,
        p99Ms: mid(mine.map((result) => result.p99Ms * 1000)) / 1000,
      };
    }),
  );
}
