import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';

export interface LogEntry {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

/**
 * Starts a fresh group's reading at `offset()` each time the group is joined. kafkajs accepts a seek
 * only once `run` has made the group, and a restart after a crash makes a new one that forgets it: a
 * seek right after `run` threw when a crash came first (a broker just back).
 */
function seekOnJoin(consumer: Consumer, topic: string, offset: () => number): void {
  consumer.on(consumer.events.GROUP_JOIN, () => consumer.seek({ topic, partition: 0, offset: String(offset()) }));
}

/**
 * Delivers the records with offsets in [from, to) in order, in chunks, until `onChunk` returns
 * false (it has what it came for) or the range is read. kafkajs has no plain
 * "assign and read" API, so this joins a fresh consumer group (rejoining an old one can stall for
 * tens of seconds) and seeks each time the group is joined.
 */
export async function readRange(
  kafka: Kafka,
  topic: string,
  from: number,
  to: number,
  onChunk: (entries: LogEntry[]) => unknown,
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
      seekOnJoin(consumer, topic, () => next);
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        // A broker just back answers the group join "coordinator loading" for a while; kafkajs then
        // starts the consumer again. Waiting for that is right: the stall timeout still bounds the
        // read, and records delivered before the crash are passed over by `next`.
        if (payload.restart) return;
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
              if (onChunk(entries) === false) next = to;
              armStall();
            }
            // Only the records themselves say the range is read: a batch's high watermark may predate
            // `to` (a fetch answered before the last record landed), and concluding from it skipped a
            // record. The topic is never compacted nor written in transactions, so every offset arrives.
            if (next >= to) {
              clearTimeout(stall);
              resolve();
            }
          },
        })
        .catch((error: unknown) => {
          clearTimeout(stall);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  } finally {
    await consumer.disconnect();
  }
}

export interface Following {
  stop(): Promise<void>;
}

/**
 * A follower's tail fetch waits for this much (or `TAIL_WAIT_MS`): fetched at once, each follower
 * fetched after nearly every write, a few records each time, and on a 2-core box with three
 * instances the broker spent ~45% of a core answering them. Waiting costs only freshness: a lookup
 * past the tail asks the log's end, a retry the follower has not read yet goes to the writer, and a
 * new writer reads to the log's end before its first write.
 */
const TAIL_MIN_BYTES = 64 * 1024;
export const TAIL_WAIT_MS = 100;

/**
 * Delivers every record from `from` on as it arrives (within `TAIL_WAIT_MS`), with the log's end as
 * of then, until stopped: a follower's tail. A fresh group, as in readRange, and no restart by
 * kafkajs after a crash (it would start again from the topic's beginning): a failure is reported
 * once, and the caller starts a new follow from where its state ends.
 */
export function follow(
  kafka: Kafka,
  topic: string,
  from: number,
  onChunk: (entries: LogEntry[], highWatermark: number) => void,
  onError: (error: unknown) => void,
): Following {
  const consumer = kafka.consumer({
    groupId: `certificates-tail-${randomUUID()}`,
    minBytes: TAIL_MIN_BYTES,
    maxWaitTimeInMs: TAIL_WAIT_MS,
    allowAutoTopicCreation: false,
    retry: { retries: 6, initialRetryTime: 100, maxRetryTime: 2000, restartOnFailure: async () => false },
  });
  let stopped = false;
  let next = from;
  const fail = (error: unknown): void => {
    if (stopped) return;
    stopped = true;
    onError(error);
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
  seekOnJoin(consumer, topic, () => next);
  const started = (async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (stopped) return;
        const entries: LogEntry[] = [];
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          // Batches fetched before the seek, or fetched twice, are passed over: each offset is delivered once, in order.
          if (offset < next) continue;
          entries.push({ offset, key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? null });
          next = offset + 1;
        }
        if (entries.length > 0) onChunk(entries, Number(batch.highWatermark));
      },
    });
  })().catch(fail);
  return {
    async stop() {
      stopped = true;
      await started;
      await consumer.disconnect().catch(() => undefined);
    },
  };
}
