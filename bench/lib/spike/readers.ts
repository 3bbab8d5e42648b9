import { randomUUID } from 'node:crypto';
import { Consumer, MessagesStreamModes, type Message } from '@platformatic/kafka';
import { createKafka } from '../../../src/log/kafka-config.js';
import { benchConnection } from '../kafka.js';
import { follow, readRange, type LogEntry } from '../../../src/log/reader.js';

/**
 * The ways of reading the certificates topic compared by the tail workload, each behind one shape:
 * `follow` delivers every record from `from` on, in chunks, until stopped; `range` delivers
 * [from, to) and resolves. Every reader turns key and value into strings, as src/log/reader.ts does.
 */
export const READERS = ['kafkajs', 'platformatic-stream', 'platformatic-fetch'] as const;
export type ReaderName = (typeof READERS)[number];

export interface Reader {
  follow(from: number, onChunk: (entries: LogEntry[]) => void, onError: (error: unknown) => void): { stop(): Promise<void> };
  range(from: number, to: number, onChunk: (entries: LogEntry[]) => void): Promise<void>;
}

/** What src/log/reader.ts asks of a follower's tail fetch. */
export const TAIL_MIN_BYTES = 64 * 1024;
export const TAIL_WAIT_MS = 100;
/** kafkajs's consumer defaults (what reader.ts runs with), given to the others too. */
const MAX_BYTES = 10 * 1024 * 1024;
const MAX_BYTES_PER_PARTITION = 1024 * 1024;

const text = (buffer: Buffer | null | undefined): string | null =>
  buffer === null || buffer === undefined ? null : buffer.toString('utf8');

/** kafkajs, exactly as the service reads: src/log/reader.ts. */
function kafkajsReader(brokers: string, topic: string): Reader {
  const kafka = createKafka(benchConnection(brokers), 'spike-tail-kafkajs');
  return {
    follow: (from, onChunk, onError) => follow(kafka, topic, from, onChunk, onError),
    range: (from, to, onChunk) => readRange(kafka, topic, from, to, onChunk),
  };
}

/**
 * @platformatic/kafka's Consumer and its messages stream: a fresh group (as reader.ts), started at
 * the offset asked for by the MANUAL mode, no seek on join. The stream yields one message at a
 * time; messages that arrive in one turn of the event loop are handed on as one chunk.
 */
function platformaticStreamReader(brokers: string, topic: string): Reader {
  const open = (from: number, minBytes: number, onChunk: (entries: LogEntry[]) => void, onError: (error: unknown) => void) => {
    const consumer = new Consumer({
      clientId: 'spike-tail-platformatic',
      bootstrapBrokers: brokers.split(','),
      groupId: `certificates-tail-${randomUUID()}`,
      autocommit: false,
      minBytes,
      maxWaitTime: TAIL_WAIT_MS,
      maxBytes: MAX_BYTES,
      maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
    });
    consumer.on('error', onError);
    let chunk: LogEntry[] = [];
    const flush = (): void => {
      const entries = chunk;
      chunk = [];
      onChunk(entries);
    };
    const stream = consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.MANUAL,
      offsets: [{ topic, partition: 0, offset: BigInt(from) }],
      autocommit: false,
    });
    const started = stream.then((messages) => {
      messages.on('data', (message: Message) => {
        if (chunk.length === 0) setImmediate(flush);
        chunk.push({ offset: Number(message.offset), key: text(message.key), value: text(message.value) });
      });
      messages.on('error', onError);
      return messages;
    });
    started.catch(onError);
    return {
      async stop() {
        await started.then((messages) => messages.close()).catch(() => undefined);
        await consumer.close(true);
      },
    };
  };
  return {
    follow: (from, onChunk, onError) => open(from, TAIL_MIN_BYTES, onChunk, onError),
    range: (from, to, onChunk) =>
      new Promise<void>((resolve, reject) => {
        let next = from;
        const reading = open(
          from,
          1,
          (entries) => {
            const wanted = entries.filter((entry) => entry.offset >= next && entry.offset < to);
            if (wanted.length > 0) {
              next = wanted[wanted.length - 1]!.offset + 1;
              onChunk(wanted);
            }
            if (next >= to) reading.stop().then(resolve, reject);
          },
          reject,
        );
      }),
  };
}

/**
 * @platformatic/kafka's lowest level: Consumer.fetch in a loop, no group at all (the "assign and
 * read" kafkajs lacks), on the leader found in its metadata, with the broker's fetch session.
 */
function platformaticFetchReader(brokers: string, topic: string): Reader {
  const loop = (from: number, to: number, minBytes: number, onChunk: (entries: LogEntry[]) => void) => {
    const consumer = new Consumer({
      clientId: 'spike-fetch-platformatic',
      bootstrapBrokers: brokers.split(','),
      groupId: 'spike-unused',
    });
    let stopped = false;
    const done = (async () => {
      consumer.topics.track(topic);
      const metadata = await consumer.metadata({ topics: [topic] });
      const described = metadata.topics.get(topic);
      if (described === undefined) throw new Error(`no metadata for ${topic}`);
      const node = described.partitions[0]!.leader;
      let next = from;
      while (!stopped && next < to) {
        const response = await consumer.fetch({
          node,
          minBytes,
          maxWaitTime: TAIL_WAIT_MS,
          maxBytes: MAX_BYTES,
          topics: [
            {
              topicId: described.id,
              partitions: [
                {
                  partition: 0,
                  fetchOffset: BigInt(next),
                  partitionMaxBytes: MAX_BYTES_PER_PARTITION,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                },
              ],
            },
          ],
        });
        const partition = response.responses[0]?.partitions[0];
        if (partition === undefined) continue;
        if (partition.errorCode !== 0) throw new Error(`fetch of ${topic}-0 at ${next} failed with error code ${partition.errorCode}`);
        const entries: LogEntry[] = [];
        for (const batch of partition.records ?? []) {
          for (const record of batch.records) {
            const offset = Number(batch.firstOffset) + record.offsetDelta;
            if (offset < next || offset >= to) continue;
            entries.push({ offset, key: text(record.key), value: text(record.value) });
          }
        }
        if (entries.length > 0) {
          next = entries[entries.length - 1]!.offset + 1;
          if (!stopped) onChunk(entries);
        }
      }
    })();
    return {
      done,
      async stop() {
        stopped = true;
        await done.catch(() => undefined);
        await consumer.close();
      },
    };
  };
  return {
    follow(from, onChunk, onError) {
      const reading = loop(from, Number.MAX_SAFE_INTEGER, TAIL_MIN_BYTES, onChunk);
      reading.done.catch(onError);
      return reading;
    },
    async range(from, to, onChunk) {
      const reading = loop(from, to, 1, onChunk);
      try {
        await reading.done;
      } finally {
        await reading.stop();
      }
    },
  };
}

export function reader(name: ReaderName, brokers: string, topic: string): Reader {
  switch (name) {
    case 'kafkajs':
      return kafkajsReader(brokers, topic);
    case 'platformatic-stream':
      return platformaticStreamReader(brokers, topic);
    case 'platformatic-fetch':
      return platformaticFetchReader(brokers, topic);
  }
}
