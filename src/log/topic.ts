import kafkajs, { type Admin, type Kafka } from 'kafkajs';

// kafkajs is CommonJS; Node's ESM loader finds only some of its named exports.
const { ConfigResourceTypes } = kafkajs;

/** The certificates topic and the settings the service creates it with (KAFKA_TOPIC, KAFKA_REPLICATION_FACTOR, …). */
export interface TopicSettings {
  readonly name: string;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  /**
   * fsync every write before acknowledging it (`flush.messages=1`). Without it an acknowledged
   * write lives in the broker's page cache: it survives any process crash, kill -9 of the broker
   * included, but not the loss of the machine — against that Kafka's answer is replication.
   */
  readonly flushEveryWrite: boolean;
}

/** What durability an acknowledged certificate has on the cluster: what the topic and cluster say. */
export interface TopicDurability {
  readonly topic: string;
  readonly brokers: number;
  readonly replicas: number;
  readonly minInsyncReplicas: number;
  readonly uncleanLeaderElection: boolean;
  /** `flush.messages` as the broker says it: 1 fsyncs every write; Kafka's default (2^63-1) leaves flushing to the operating system. */
  readonly flushMessages: string;
  /** `retention.ms` and `retention.bytes`: -1 keeps records forever. */
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly cleanupPolicy: string;
}

/**
 * Where the topic's settings let an acknowledged certificate be lost, in words for the operator.
 * `acks=all` waits for the in-sync replicas only: with fewer than three replicas, or fewer than two
 * that must be in sync, one broker's loss can take acknowledged certificates with it, and with
 * unclean leader election an out-of-sync replica may become leader and drop them.
 */
export function durabilityWarnings({
  topic,
  brokers,
  replicas,
  minInsyncReplicas,
  uncleanLeaderElection,
}: Pick<TopicDurability, 'topic' | 'brokers' | 'replicas' | 'minInsyncReplicas' | 'uncleanLeaderElection'>): string[] {
  const warnings: string[] = [];
  if (brokers >= 3 && replicas < 3) {
    warnings.push(
      `topic ${topic} has replication factor ${replicas} on a cluster of ${brokers} brokers: an acknowledged certificate is on ${replicas} of them; ` +
        'recreate it with replication factor 3 (KAFKA_REPLICATION_FACTOR applies only when the service creates the topic)',
    );
  }
  if (replicas >= 3 && minInsyncReplicas < 2) {
    warnings.push(
      `topic ${topic} has min.insync.replicas=${minInsyncReplicas}: acks=all is then satisfied by one broker alone; set it to 2`,
    );
  }
  if (uncleanLeaderElection) {
    warnings.push(
      `topic ${topic} has unclean.leader.election.enable=true: an out-of-sync replica may become leader and lose acknowledged certificates; set it to false`,
    );
  }
  return warnings;
}

/**
 * Where an existing topic is weaker than the service would have created it: its settings apply,
 * whatever this instance is configured with, so the operator must hear of each difference.
 */
export function weakerThanConfigured(durability: TopicDurability, settings: TopicSettings): string[] {
  const { topic, replicas, minInsyncReplicas, flushMessages, retentionMs, retentionBytes, cleanupPolicy } = durability;
  const warnings: string[] = [];
  if (replicas < settings.replicationFactor) {
    warnings.push(`topic ${topic} has ${replicas} replicas, fewer than KAFKA_REPLICATION_FACTOR=${settings.replicationFactor}`);
  }
  if (minInsyncReplicas < settings.minInsyncReplicas) {
    warnings.push(
      `topic ${topic} has min.insync.replicas=${minInsyncReplicas}, fewer than KAFKA_MIN_INSYNC_REPLICAS=${settings.minInsyncReplicas}`,
    );
  }
  if (settings.flushEveryWrite && flushMessages !== '1') {
    warnings.push(
      `topic ${topic} has flush.messages=${flushMessages}: KAFKA_FLUSH_EVERY_WRITE=1 asks an fsync of every write; set flush.messages=1`,
    );
  }
  if (retentionMs !== -1 || retentionBytes !== -1) {
    warnings.push(
      `topic ${topic} has retention.ms=${retentionMs}, retention.bytes=${retentionBytes}: certificates would expire from the log; set both to -1`,
    );
  }
  if (cleanupPolicy.split(',').includes('compact')) {
    warnings.push(`topic ${topic} has cleanup.policy=${cleanupPolicy}: compaction would remove certificates; set it to delete`);
  }
  return warnings;
}

/**
 * Creates the certificates topic if it is missing: one partition (one total order per class, and
 * atomic multi-record appends), retention forever (an audit trail must not expire). Answers what
 * the topic's durability lacks (durabilityWarnings).
 */
export async function ensureTopic(kafka: Kafka, settings: TopicSettings): Promise<{ durability: TopicDurability; warnings: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await topicExists(admin, settings.name))) await create(admin, settings);
    await waitForLeader(admin, settings.name);
    const durability = await describeDurability(admin, settings.name);
    return { durability, warnings: [...durabilityWarnings(durability), ...weakerThanConfigured(durability, settings)] };
  } finally {
    await admin.disconnect();
  }
}

const DESCRIBED = [
  'min.insync.replicas',
  'unclean.leader.election.enable',
  'flush.messages',
  'retention.ms',
  'retention.bytes',
  'cleanup.policy',
] as const;

export async function describeDurability(admin: Admin, topic: string): Promise<TopicDurability> {
  const [{ brokers }, { topics }, { resources }] = await Promise.all([
    admin.describeCluster(),
    admin.fetchTopicMetadata({ topics: [topic] }),
    admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [...DESCRIBED] }],
    }),
  ]);
  const setting = (name: (typeof DESCRIBED)[number]): string | undefined =>
    resources[0]?.configEntries.find((entry) => entry.configName === name)?.configValue;
  return {
    topic,
    brokers: brokers.length,
    replicas: topics[0]?.partitions[0]?.replicas.length ?? 0,
    minInsyncReplicas: Number(setting('min.insync.replicas') ?? 1),
    uncleanLeaderElection: setting('unclean.leader.election.enable') === 'true',
    flushMessages: setting('flush.messages') ?? 'unknown',
    retentionMs: Number(setting('retention.ms') ?? -1),
    retentionBytes: Number(setting('retention.bytes') ?? -1),
    cleanupPolicy: setting('cleanup.policy') ?? 'delete',
  };
}

/**
 * Asks about this topic alone: kafkajs's listTopics asks for every topic's metadata and fails while
 * any partition of any topic has no leader, which on a shared cluster would keep the service from
 * starting because of someone else's topic.
 */
async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  try {
    await admin.fetchTopicMetadata({ topics: [topic] });
    return true;
  } catch (error) {
    if ((error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return false;
    throw error;
  }
}

/** kafkajs's own waitForLeaders gives up on the "does not host this partition" a fresh topic answers at first. */
export async function waitForLeader(admin: Admin, topic: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      if ((topics[0]?.partitions[0]?.leader ?? -1) >= 0) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic} has no leader after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function create(admin: Admin, settings: TopicSettings): Promise<void> {
  await admin.createTopics({
    waitForLeaders: false,
    topics: [
      {
        topic: settings.name,
        numPartitions: 1,
        replicationFactor: settings.replicationFactor,
        configEntries: [
          { name: 'retention.ms', value: '-1' },
          { name: 'retention.bytes', value: '-1' },
          { name: 'cleanup.policy', value: 'delete' },
          { name: 'min.insync.replicas', value: String(settings.minInsyncReplicas) },
          ...(settings.flushEveryWrite ? [{ name: 'flush.messages', value: '1' }] : []),
        ],
      },
    ],
  });
}
