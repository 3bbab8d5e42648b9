import type { EachBatchPayload, Kafka } from 'kafkajs';
import { ledgerOn } from '../support/settings.js';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaLedger } from '../../src/log/kafka-ledger.js';
import { follow, readRange, TAIL_WAIT_MS } from '../../src/log/reader.js';
import { uniqueTopic } from '../support/broker.js';

const RECORDS = 2_000;
const PER_WRITE = 10;
const ledgers: KafkaLedger[] = [];

/** A topic of RECORDS plain records, written PER_WRITE at a time (so Kafka keeps batches of PER_WRITE). */
async function filledTopic(name: string): Promise<KafkaLedger> {
  const ledger = ledgerOn(uniqueTopic(name), 'test-reader');
  ledgers.push(ledger);
  await ledger.connect();
  const producer = ledger.client.producer();
  await producer.connect();
  try {
    for (let offset = 0; offset < RECORDS; offset += PER_WRITE) {
      const messages = Array.from({ length: PER_WRITE }, (_, index) => ({ key: 'CS', value: `record ${offset + index}` }));
      await producer.send({ topic: ledger.topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return ledger;
}

/**
 * The client, with every batch its consumers are handed noted before the reader sees it: the
 * offsets Kafka was asked for, which the reader's own filtering would hide.
 */
function watched(kafka: Kafka): { kafka: Kafka; fetched: number[]; batches: () => number } {
  const fetched: number[] = [];
  let batches = 0;
  const consumer: Kafka['consumer'] = (config) => {
    const made = kafka.consumer(config);
    const run = made.run.bind(made);
    made.run = (options) =>
      run({
        ...options,
        eachBatch: async (payload: EachBatchPayload) => {
          if (payload.batch.messages.length > 0) batches += 1;
          fetched.push(...payload.batch.messages.map((message) => Number(message.offset)));
          await options?.eachBatch?.(payload);
        },
      });
    return made;
  };
  return { kafka: Object.assign(Object.create(kafka) as Kafka, { consumer }), fetched, batches: () => batches };
}

/** A tail from `from` that keeps the offsets it delivers. */
function tailFrom(kafka: Kafka, topic: string, from: number) {
  const delivered: number[] = [];
  let failure: unknown;
  const following = follow(
    kafka,
    topic,
    from,
    (entries) => delivered.push(...entries.map((entry) => entry.offset)),
    (error) => (failure = error),
  );
  /** Waits until `count` records were delivered (at most `withinMs`); resolves with how long that took. */
  const delivery = async (count: number, withinMs: number): Promise<number> => {
    const started = Date.now();
    while (delivered.length < count && failure === undefined && Date.now() - started < withinMs)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(failure).toBeUndefined();
    return Date.now() - started;
  };
  return { delivered, following, delivery };
}

afterAll(async () => {
  await Promise.all(ledgers.map((ledger) => ledger.disconnect()));
});

describe('reading the log from an offset (real broker)', () => {
  it('fetches a range from its first offset, not from the topic beginning: a restart or a takeover reads only the tail', async () => {
    const ledger = await filledTopic('reader-range');
    const { kafka, fetched } = watched(ledger.client);
    const delivered: number[] = [];
    await readRange(kafka, ledger.topic, RECORDS - 15, RECORDS, (entries) => void delivered.push(...entries.map((entry) => entry.offset)));
    expect(delivered).toEqual(Array.from({ length: 15 }, (_, index) => RECORDS - 15 + index));
    // Kafka answers from the start of the batch that holds the offset asked for, at most PER_WRITE earlier.
    expect(Math.min(...fetched)).toBeGreaterThanOrEqual(RECORDS - 15 - PER_WRITE);
  });

  it('follows from its first offset, not from the topic beginning', async () => {
    const ledger = await filledTopic('reader-follow');
    const { kafka, fetched } = watched(ledger.client);
    const tail = tailFrom(kafka, ledger.topic, RECORDS - 5);
    try {
      await tail.delivery(5, 15_000);
      expect(tail.delivered).toEqual([RECORDS - 5, RECORDS - 4, RECORDS - 3, RECORDS - 2, RECORDS - 1]);
      expect(Math.min(...fetched)).toBeGreaterThanOrEqual(RECORDS - 5 - PER_WRITE);
    } finally {
      await tail.following.stop();
    }
  });

  it('gathers a burst of small writes into a few fetches, and still delivers a lone write within a fraction of a second', async () => {
    const ledger = await filledTopic('reader-tail-batching');
    const { kafka, batches } = watched(ledger.client);
    const tail = tailFrom(kafka, ledger.topic, RECORDS);
    const producer = ledger.client.producer();
    await producer.connect();
    const write = (value: string) => producer.send({ topic: ledger.topic, acks: -1, messages: [{ key: 'CS', value }] });
    const fromRecords = (count: number): number[] => Array.from({ length: count }, (_, index) => RECORDS + index);
    try {
      // The tail has joined and delivered once before anything is measured.
      await write('first');
      await tail.delivery(1, 15_000);
      expect(tail.delivered).toEqual(fromRecords(1));
      // A writer under load: one small write after another, each acknowledged before the next.
      const BURST = 60;
      const before = batches();
      const burstStarted = Date.now();
      for (let index = 0; index < BURST; index += 1) await write(`burst ${index}`);
      const burstMs = Date.now() - burstStarted;
      await tail.delivery(1 + BURST, 5_000);
      expect(tail.delivered).toEqual(fromRecords(1 + BURST));
      // Fetched at once, a tail takes about one fetch per write; it waits for company instead: about
      // one fetch per wait, however long a loaded machine takes over the writes.
      expect(batches() - before).toBeLessThanOrEqual(Math.ceil(burstMs / TAIL_WAIT_MS) + 2);
      // A lone write waits for company no longer than the tail's wait (100 ms).
      await write('lone');
      expect(await tail.delivery(2 + BURST, 5_000)).toBeLessThan(1_000);
      expect(tail.delivered).toEqual(fromRecords(2 + BURST));
    } finally {
      await producer.disconnect();
      await tail.following.stop();
    }
  });
});
