import { Kafka, logLevel } from 'kafkajs';
import type { EncodedRecord } from '../../src/core/ledger.js';
import { SEAL_KEY, headHash, headText, type SignedHead } from '../../src/core/seal.js';
import { ensureTopic } from '../../src/log/topic.js';
import { broker } from './broker.js';
import { readLog } from './log.js';
import { topicSettings } from './settings.js';

/**
 * What someone with produce rights on the topic and no signing key can do: write any records with
 * a plain Kafka producer (kafkajs), each call one batch. Creates the topic first when asked (a copy).
 */
export async function produce(topic: string, records: readonly EncodedRecord[], options: { create?: boolean } = {}): Promise<void> {
  const kafka = new Kafka({ clientId: 'plain-producer', brokers: broker().brokers, logLevel: logLevel.NOTHING });
  if (options.create === true) await ensureTopic(kafka, topicSettings(topic));
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records.map(({ key, value }) => ({ key, value })) });
  } finally {
    await producer.disconnect();
  }
}

/** Every record of the topic as stored: its key and its value's exact text, from offset 0. */
export async function storedRecords(topic: string): Promise<EncodedRecord[]> {
  return (await readLog(topic)).map((entry, offset) => {
    if (entry.offset !== offset || entry.malformed !== undefined || entry.value === undefined) {
      throw new Error(`Expected a readable record at offset ${offset}`);
    }
    return { key: entry.seal === undefined ? (entry.record ?? entry.event)!.class : SEAL_KEY, value: entry.value };
  });
}

/** Copies the topic to a new one, offset for offset, with the records `change` alters (or drops, returning undefined). */
export async function copyTopic(
  from: string,
  to: string,
  change: (record: EncodedRecord, offset: number) => EncodedRecord | undefined = (record) => record,
): Promise<void> {
  const records = (await storedRecords(from)).flatMap((record, offset) => change(record, offset) ?? []);
  await produce(to, records, { create: true });
}

/** The signed head the seal at `offset` of the topic states, as GET /ledger/head gives it: what a holder keeps. */
export async function headAt(topic: string, offset: number): Promise<SignedHead> {
  const entry = (await readLog(topic))[offset];
  if (entry?.seal === undefined) throw new Error(`Expected a seal at offset ${offset} of ${topic}`);
  const { head, signature } = entry.seal;
  return { offset, hash: headHash(headText(head)), head, signature };
}
