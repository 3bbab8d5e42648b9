import kafkajs, { type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/log/kafka-config.js';
import { durabilityWarnings, ensureTopic, weakerThanConfigured, type TopicDurability } from '../../src/log/topic.js';
import { uniqueTopic } from '../support/broker.js';
import { connection, topicSettings } from '../support/settings.js';

// kafkajs is CommonJS; Node's ESM loader finds only some of its named exports.
const { ConfigResourceTypes } = kafkajs;

const sound = { topic: 'certificates', brokers: 3, replicas: 3, minInsyncReplicas: 2, uncleanLeaderElection: false };

describe('durabilityWarnings: where a topic lets acknowledged certificates be lost', () => {
  it('says nothing of replication 3 with min.insync.replicas 2 and clean elections, nor of the one local broker', () => {
    expect(durabilityWarnings(sound)).toEqual([]);
    expect(durabilityWarnings({ ...sound, brokers: 1, replicas: 1, minInsyncReplicas: 1 })).toEqual([]);
  });

  it('warns of fewer than 3 replicas on a cluster of 3 or more brokers, naming both numbers', () => {
    expect(durabilityWarnings({ ...sound, brokers: 5, replicas: 2 })).toEqual([
      expect.stringContaining('replication factor 2 on a cluster of 5 brokers'),
    ]);
  });

  it('warns of min.insync.replicas below 2 on 3 replicas, and of unclean leader election, each once', () => {
    expect(durabilityWarnings({ ...sound, minInsyncReplicas: 1, uncleanLeaderElection: true })).toEqual([
      expect.stringContaining('min.insync.replicas=1'),
      expect.stringContaining('unclean.leader.election.enable=true'),
    ]);
  });
});

describe('weakerThanConfigured: an existing topic the service did not create as configured', () => {
  const asCreated: TopicDurability = {
    ...sound,
    flushMessages: '1',
    retentionMs: -1,
    retentionBytes: -1,
    cleanupPolicy: 'delete',
  };
  const configured = topicSettings('certificates', { replicationFactor: 3, minInsyncReplicas: 2, flushEveryWrite: true });

  it('says nothing of a topic as the service creates it', () => {
    expect(weakerThanConfigured(asCreated, configured)).toEqual([]);
  });

  it('names each setting that falls short: replicas, min.insync.replicas, flush.messages, retention, compaction', () => {
    const weaker = {
      ...asCreated,
      replicas: 1,
      minInsyncReplicas: 1,
      flushMessages: '9223372036854775807',
      retentionMs: 604_800_000,
      cleanupPolicy: 'compact',
    };
    expect(weakerThanConfigured(weaker, configured)).toEqual([
      expect.stringContaining('1 replicas, fewer than KAFKA_REPLICATION_FACTOR=3'),
      expect.stringContaining('min.insync.replicas=1, fewer than KAFKA_MIN_INSYNC_REPLICAS=2'),
      expect.stringContaining('KAFKA_FLUSH_EVERY_WRITE=1'),
      expect.stringContaining('retention.ms=604800000'),
      expect.stringContaining('cleanup.policy=compact'),
    ]);
  });
});

describe('the topic the service creates, read back from the broker (real broker)', () => {
  const kafka = createKafka(connection(), 'test-topic');
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  /** The topic's settings as the broker describes them, and its replicas, asked with kafkajs's admin directly. */
  async function described(topic: string): Promise<Record<string, string> & { replicas: string }> {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    });
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return {
      ...Object.fromEntries(resources[0]!.configEntries.map((entry) => [entry.configName, entry.configValue])),
      replicas: String(topics[0]!.partitions[0]!.replicas.length),
    };
  }

  it('fsyncs every write (flush.messages=1) with KAFKA_FLUSH_EVERY_WRITE=1, keeps records forever, with the replication and min.insync.replicas configured', async () => {
    const topic = uniqueTopic('flushed');
    const { warnings } = await ensureTopic(kafka, topicSettings(topic, { flushEveryWrite: true }));
    expect(await described(topic)).toMatchObject({
      'flush.messages': '1',
      'min.insync.replicas': '1',
      'retention.ms': '-1',
      'retention.bytes': '-1',
      'cleanup.policy': 'delete',
      replicas: '1',
    });
    expect(warnings).toEqual([]);
  });

  it("leaves flushing to the broker's default without it", async () => {
    const topic = uniqueTopic('unflushed');
    await ensureTopic(kafka, topicSettings(topic));
    expect((await described(topic))['flush.messages']).toBe('9223372036854775807');
  });

  it('uses a topic that exists as it is, and says where it falls short of the settings', async () => {
    const topic = uniqueTopic('weaker');
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '604800000' }] }],
    });
    const { durability, warnings } = await ensureTopic(kafka, topicSettings(topic, { flushEveryWrite: true, minInsyncReplicas: 2 }));
    expect(durability).toMatchObject({ replicas: 1, minInsyncReplicas: 1, retentionMs: 604_800_000 });
    expect(warnings).toEqual([
      expect.stringContaining('min.insync.replicas=1, fewer than KAFKA_MIN_INSYNC_REPLICAS=2'),
      expect.stringContaining('flush.messages=9223372036854775807'),
      expect.stringContaining('retention.ms=604800000'),
    ]);
    expect((await described(topic))['flush.messages']).toBe('9223372036854775807');
  });
});
