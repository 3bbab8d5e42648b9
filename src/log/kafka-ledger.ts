import type { EventRecord } from '../core/events.js';
import type { Admin, Kafka } from 'kafkajs';
import type { CertificateRecord } from '../core/certificate.js';
import type { LoggedRecord } from '../core/logged-record.js';
import type { EncodedRecord, Ledger, LogBounds, LogFollower, WriteLimit } from '../core/ledger.js';
import { createKafka, type KafkaConnection } from './kafka-config.js';
import { follow, readRange, type LogEntry } from './reader.js';
import { readRecord } from '../core/record-format.js';
import { ensureTopic, type TopicDurability, type TopicSettings } from './topic.js';
import { locateLeader } from './wire/metadata.js';
import { PartitionProducer } from './wire/partition-producer.js';

/**
 * Bytes one produce request may carry: below the broker's default `message.max.bytes` (1,048,588)
 * with room for the batch header.
 */
const MAX_WRITE_BYTES = 900_000;
/**
 * A record's size before it is encoded, from above: JSON may escape every byte of the name, of the
 * idempotency key (ASCII) and of the principal (up to six bytes for a control character), and the
 * other fields (the request id among them) with their names and the record overhead stay under 384
 * bytes; terms and events (rare, and bounded: src/core/terms.ts, src/core/events.ts) are weighed
 * by their JSON, every character of it escaped at worst.
 */
const weigh = (record: CertificateRecord | EventRecord): number =>
  'event' in record
    ? 6 * JSON.stringify(record).length + 384
    : 2 * (Buffer.byteLength(record.name) + (record.idempotencyKey?.length ?? 0)) +
      6 * (record.principal?.length ?? 0) +
      (record.terms === undefined ? 0 : 6 * JSON.stringify(record.terms).length) +
      384;

export interface LedgerOptions {
  /** A write not acknowledged within this long is abandoned (COMMIT_TIMEOUT_MS); its fate is read from the log. */
  readonly appendTimeoutMs: number;
  /** Names this client to the brokers (default `certificates`). */
  readonly clientId?: string;
}

const toLogged = (entries: readonly LogEntry[]): LoggedRecord[] => entries.map((entry) => readRecord(entry.offset, entry.key, entry.value));

/**
 * The Ledger over a single-partition Kafka topic. Appends go out with acks=all, one produce request
 * per write, one write at a time, through this service's own produce path (src/log/wire/): kafkajs
 * reads, follows, administers and elects, but its producer cost three times the CPU per write, and
 * writing is what bounds this service's throughput. Nothing here makes a write idempotent: the log's
 * rule already makes a duplicate harmless (a retried batch that lands twice is void the second time,
 * at an offset it did not state). Whatever the produce path does, a write that is abandoned drops
 * its connection, so that its answer can never be taken for a later write's. It asks the cluster
 * about this topic only: kafkajs's idempotent producer asked for every topic's metadata and failed
 * while any partition anywhere had no leader (test/faults/replicated-cluster.test.ts keeps such
 * bystander topics).
 */
export class KafkaLedger implements Ledger {
  readonly topic: string;
  readonly writeLimit: WriteLimit<CertificateRecord | EventRecord> = { maxWeight: MAX_WRITE_BYTES, weigh };
  private readonly kafka: Kafka;
  private readonly appendTimeoutMs: number;
  private readonly producer: PartitionProducer;
  private admin: Promise<Admin> | undefined;

  constructor(
    connection: KafkaConnection,
    private readonly topicSettings: TopicSettings,
    options: LedgerOptions,
  ) {
    this.topic = topicSettings.name;
    this.appendTimeoutMs = options.appendTimeoutMs;
    const clientId = options.clientId ?? 'certificates';
    this.kafka = createKafka(connection, clientId);
    const wire = { clientId, security: connection.security, connectTimeoutMs: 3000, requestTimeoutMs: this.appendTimeoutMs };
    const bootstrap = connection.brokers.map((broker) => {
      const at = broker.lastIndexOf(':');
      return { host: broker.slice(0, at), port: Number(broker.slice(at + 1)) };
    });
    this.producer = new PartitionProducer({
      ...wire,
      topic: this.topic,
      partition: 0,
      attempts: 4,
      backoffMs: 100,
      maxBackoffMs: 1000,
      locateLeader: () => locateLeader(bootstrap, wire, this.topic, 0),
    });
  }

  /** The kafkajs client, for the parts of the service that speak Kafka beyond the log (the writer election). */
  get client(): Kafka {
    return this.kafka;
  }

  /** Where the topic's settings let acknowledged certificates be lost or fall short of the configured ones, as found by connect(). */
  topicWarnings: readonly string[] = [];
  /** The topic's settings as the cluster reported them to connect(). */
  durability: TopicDurability | undefined;

  /** Creates the topic if needed, reads its settings back, and connects the producer; throws if the broker does not answer. */
  async connect(): Promise<void> {
    const { durability, warnings } = await ensureTopic(this.kafka, this.topicSettings);
    this.durability = durability;
    this.topicWarnings = warnings;
    await this.producer.connect();
  }

  /** True while the connection appends go through is open (false after a failed append, until the next one connects). */
  get ready(): boolean {
    return this.producer.ready;
  }

  async disconnect(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    this.producer.close();
    await admin?.then((connected) => connected.disconnect()).catch(() => undefined);
  }

  append(records: readonly EncodedRecord[]): Promise<number> {
    return this.producer.produce(records, this.appendTimeoutMs);
  }

  async bounds(): Promise<LogBounds> {
    const admin = await this.connectedAdmin();
    try {
      const [partition] = await admin.fetchTopicOffsets(this.topic);
      if (partition === undefined) throw new Error(`topic ${this.topic} has no partition`);
      return { low: Number(partition.low), high: Number(partition.high) };
    } catch (error) {
      this.admin = undefined;
      await admin.disconnect().catch(() => undefined);
      throw error;
    }
  }

  read(from: number, to: number, onRecords: (records: LoggedRecord[]) => unknown): Promise<void> {
    return readRange(this.kafka, this.topic, from, to, (entries) => onRecords(toLogged(entries)));
  }

  follow(
    from: number,
    onRecords: (records: LoggedRecord[], highWatermark: number) => void,
    onError: (error: unknown) => void,
  ): LogFollower {
    return follow(this.kafka, this.topic, from, (entries, highWatermark) => onRecords(toLogged(entries), highWatermark), onError);
  }

  /** Every record in the topic, oldest first, in chunks; `onProgress` sees the offsets read so far. */
  async readAll(onChunk: (records: LoggedRecord[]) => void, onProgress?: (read: number, total: number) => void): Promise<void> {
    const { low, high } = await this.bounds();
    let read = 0;
    await this.read(low, high, (records) => {
      read += records.length;
      onChunk(records);
      onProgress?.(read, high - low);
    });
  }

  private connectedAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }
}
