import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

export interface LogEntry {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

export interface Bounds {
  /** First offset still in the log. */
  readonly low: number;
  /** Offset the next record will get (the high watermark). */
  readonly high: number;
}

export async function bounds(kafka: Kafka, topic: string): Promise<Bounds> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [partition] = await admin.fetchTopicOffsets(topic);
    if (partition === undefined) throw new Error(`topic ${topic} has no partition`);
    return { low: Number(partition.low), high: Number(partition.high) };
  } finally {
    await admin.disconnect();
  }
}

/**
 * Delivers the records with offsets in [from, to) in order, in chunks. kafkajs has no plain
 * "assign and read" API, so this joins a fresh consumer group (rejoining an old one can stall for
 * tens of seconds) and seeks, which kafkajs accepts only once `run` has been called.
 */
export async function readRange(
  kafka: Kafka,
  topic: string,
  from: number,
  to: number,
  onChunk: (entries: LogEntry[]) => void,
  stallTimeoutMs = 10_000,
): Promise<void> {
  if (from >= to) return;
  const consumer = kafka.consumer({
    groupId: `certificates-reader-${randomUUID()}`,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
    // A fresh broker answers "coordinator loading" for a few seconds; a dead one fails the stall timeout.
    retry: { retries: 6, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let next = from;
      let stall: NodeJS.Timeout | undefined;
      const armStall = (): void => {
        clearTimeout(stall);
        stall = setTimeout(
          () => reject(new Error(`no records past offset ${next} of ${topic} within ${stallTimeoutMs} ms`)),
          stallTimeoutMs,
        );
      };
      armStall();
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        clearTimeout(stall);
        reject(payload.error);
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const entries: LogEntry[] = [];
            for (const message of batch.messages) {
              const offset = Number(message.offset);
              if (offset < next || offset >= to) continue;
              entries.push({ offset, key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? null });
            }
            if (entries.length > 0) {
              next = entries[entries.length - 1]!.offset + 1;
              onChunk(entries);
              armStall();
            }
            // Offsets of a compacted or aborted-transaction gap never arrive; the watermark still says we are done.
            if (next >= to || Number(batch.highWatermark) <= next) {
              clearTimeout(stall);
              resolve();
            }
          },
        })
        .then(() => consumer.seek({ topic, partition: 0, offset: String(from) }))
        .catch((error: unknown) => {
          clearTimeout(stall);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  } finally {
    await consumer.disconnect();
  }
}
