import type { Kafka, Producer } from 'kafkajs';
import type { Certificate } from '../actors/certificate.js';
import type { Ledger } from '../actors/ledger.js';
import { CertificateError } from '../errors.js';
import { GroupCommit } from './group-commit.js';
import { createKafka, type KafkaSettings } from './kafka-config.js';
import { bounds, readRange, type LogEntry } from './reader.js';
import { decodeRecord, encodeValue, MalformedRecord } from './record.js';
import { ensureTopic } from './topic.js';

/**
 * Bytes one produce request may carry: below the broker's default `message.max.bytes` (1,048,588)
 * with room for the batch header. The largest certificate (a 200-character name of four-byte
 * characters) is about 1.1 KB, so an actor batch of 500 always fits alone.
 */
const MAX_WRITE_BYTES = 900_000;
/** Per-record overhead in a Kafka record batch (lengths, offsets, timestamps; headers are none). */
const RECORD_OVERHEAD_BYTES = 32;

interface Message {
  readonly key: string;
  readonly value: string;
}

/** How far back the first tail read looks; each miss looks four times further. */
const FIRST_TAIL_WINDOW = 512;

/**
 * The Ledger over a single-partition Kafka topic. Appends go out with acks=all from an idempotent
 * producer, one produce request per group of batches. After any failed append the producer is
 * replaced: a fresh producer id means kafkajs's sequence numbers cannot drift out of step with the
 * broker's, and the abandoned request cannot be retried behind our back once we re-read the tail.
 */
export class KafkaLedger implements Ledger {
  readonly topic: string;
  private readonly kafka: Kafka;
  private readonly settings: KafkaSettings;
  private producer: Producer;
  private producerConnected: Promise<void> | undefined;
  private producerIsConnected = false;
  private readonly commits: GroupCommit<Message>;

  constructor(settings: KafkaSettings) {
    this.settings = settings;
    this.topic = settings.topic;
    this.kafka = createKafka(settings);
    this.producer = this.newProducer();
    this.commits = new GroupCommit<Message>(
      (messages) => this.send(messages),
      () => this.replaceProducer(),
      { maxWeight: MAX_WRITE_BYTES, weigh: (message) => Buffer.byteLength(message.value) + message.key.length + RECORD_OVERHEAD_BYTES },
    );
  }

  /** Creates the topic if needed and connects the producer; throws if the broker does not answer. */
  async connect(): Promise<void> {
    await ensureTopic(this.kafka, this.settings);
    await this.connectedProducer();
  }

  /** True once the current producer has connected (false again after a failed commit, until the next one connects). */
  get ready(): boolean {
    return this.producerIsConnected;
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }

  append(certificates: readonly Certificate[]): Promise<void> {
    return this.commits.submit(certificates.map((certificate) => ({ key: certificate.class, value: encodeValue(certificate) })));
  }

  /**
   * Reads forward from just after the newest record of the class numbered `afterNumber` or less
   * (found from the tail, so a re-read after a failed commit costs one small window), or from the
   * start of the topic when `afterNumber` is 0.
   */
  async readSince(shareClass: string, afterNumber: number, onCertificate: (certificate: Certificate) => void): Promise<void> {
    const { low, high } = await bounds(this.kafka, this.topic);
    const floor =
      afterNumber === 0 ? undefined : await this.newest(shareClass, low, high, (entry) => this.decode(entry).number <= afterNumber);
    await this.readEntries(floor === undefined ? low : floor.offset + 1, high, (entry) => {
      if (entry.key !== shareClass) return;
      const certificate = this.decode(entry);
      if (certificate.number > afterNumber) onCertificate(certificate);
    });
  }

  /** Every record in the topic, oldest first, in chunks; `onProgress` sees the offsets read so far. */
  async readAll(onChunk: (entries: LogEntry[]) => void, onProgress?: (read: number, total: number) => void): Promise<void> {
    const { low, high } = await bounds(this.kafka, this.topic);
    let read = 0;
    await readRange(this.kafka, this.topic, low, high, (entries) => {
      read += entries.length;
      onChunk(entries);
      onProgress?.(read, high - low);
    });
  }

  /**
   * Reads backwards from `high` in growing windows until it meets a record of the class that
   * `accept`s. Other classes' records may sit in between; an absent class costs one full pass.
   */
  private async newest(shareClass: string, low: number, high: number, accept: (entry: LogEntry) => boolean): Promise<LogEntry | undefined> {
    let to = high;
    let window = FIRST_TAIL_WINDOW;
    while (to > low) {
      const from = Math.max(low, to - window);
      let newest: LogEntry | undefined;
      await this.readEntries(from, to, (entry) => {
        if (entry.key === shareClass && accept(entry)) newest = entry;
      });
      if (newest !== undefined) return newest;
      to = from;
      window *= 4;
    }
    return undefined;
  }

  /** Visits the records in [from, to) oldest first; the first error `visit` throws stops the visits and rejects the read. */
  private async readEntries(from: number, to: number, visit: (entry: LogEntry) => void): Promise<void> {
    let failure: { error: unknown } | undefined;
    await readRange(this.kafka, this.topic, from, to, (entries) => {
      for (const entry of entries) {
        if (failure !== undefined) return;
        try {
          visit(entry);
        } catch (error) {
          failure = { error };
        }
      }
    });
    if (failure !== undefined) throw failure.error;
  }

  private decode(entry: LogEntry): Certificate {
    try {
      return decodeRecord(entry.key, entry.value);
    } catch (error) {
      if (!(error instanceof MalformedRecord)) throw error;
      throw new CertificateError('log_corrupt', `Offset ${entry.offset} of ${this.topic}: ${error.message}; refusing to number past it`, {
        cause: error,
      });
    }
  }

  private async send(messages: Message[]): Promise<void> {
    const producer = await this.connectedProducer();
    await producer.send({ topic: this.topic, acks: -1, messages });
  }

  private async connectedProducer(): Promise<Producer> {
    const producer = this.producer;
    this.producerConnected ??= producer.connect().then(
      () => {
        if (producer === this.producer) this.producerIsConnected = true;
      },
      (error: unknown) => {
        if (producer === this.producer) this.producerConnected = undefined;
        throw error;
      },
    );
    await this.producerConnected;
    return producer;
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  private async replaceProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.newProducer();
    this.producerConnected = undefined;
    this.producerIsConnected = false;
    await old.disconnect().catch(() => undefined);
  }
}
