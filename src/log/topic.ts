import kafkajs, { type Admin, type Kafka } from 'kafkajs';

// kafkajs is CommonJS; Node's ESM loader finds only some of its named exports.
const { ConfigResourceTypes } = kafkajs;

export interface TopicSpec {
  readonly topic: string;
  readonly minInsyncReplicas?: number;
  readonly replicationFactor?: number;
  /**
   * fsync every write before acknowledging it (`flush.messages=1`). Without it an acknowledged
   * write lives in the broker's page cache: it survives any process crash, kill -9 of the broker
   * included, but not the loss of the machine — against that Kafka's answer is replication.
   */
  readonly flushEveryWrite?: boolean;
}

/** What durability an acknowledged certificate has on the cluster: what the topic and cluster say. */
export interface TopicDurability {
  readonly topic: string;
  readonly brokers: number;
  readonly replicas: number;
  readonly minInsyncReplicas: number;
  readonly uncleanLeaderElection: boolean;
}

/**
 * Where the topic's settings let an acknowledged certificate be lost, in words for the operator.
 * `acks=all` waits for the in-sync replicas only: with fewer than three replicas, or fewer than two
 * that must be in sync, one broker's loss can take acknowledged certificates with it, and with
 * unclean leader election an out-of-sync replica may become leader and drop them.
 */
export function durabilityWarnings({ topic, brokers, replicas, minInsyncReplicas, uncleanLeaderElection }: TopicDurability): string[] {
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
 * Creates the certificates topic if it is missing: one partition (one total order per class, and
 * atomic multi-record appends), retention forever (an audit trail must not expire). Answers what
 * the topic's durability lacks (durabilityWarnings).
 */
export async function ensureTopic(kafka: Kafka, spec: TopicSpec): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await topicExists(admin, spec.topic))) await create(admin, spec);
    await waitForLeader(admin, spec.topic);
    return durabilityWarnings(await describeDurability(admin, spec.topic));
  } finally {
    await admin.disconnect();
  }
}

export async function describeDurability(admin: Admin, topic: string): Promise<TopicDurability> {
  const [{ brokers }, { topics }, { resources }] = await Promise.all([
    admin.describeCluster(),
    admin.fetchTopicMetadata({ topics: [topic] }),
    admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas', 'unclean.leader.election.enable'] }],
    }),
  ]);
  const setting = (name: string): string | undefined => resources[0]?.configEntries.find((entry) => entry.configName === name)?.configValue;
  return {
    topic,
    brokers: brokers.length,
    replicas: topics[0]?.partitions[0]?.replicas.length ?? 0,
    minInsyncReplicas: Number(setting('min.insync.replicas') ?? 1),
    uncleanLeaderElection: setting('unclean.leader.election.enable') === 'true',
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

async function create(admin: Admin, spec: TopicSpec): Promise<void> {
  await admin.createTopics({
    waitForLeaders: false,
    topics: [
      {
        topic: spec.topic,
        numPartitions: 1,
        replicationFactor: spec.replicationFactor ?? 1,
        configEntries: [
          { name: 'retention.ms', value: '-1' },
          { name: 'retention.bytes', value: '-1' },
          { name: 'cleanup.policy', value: 'delete' },
          { name: 'min.insync.replicas', value: String(spec.minInsyncReplicas ?? 1) },
        ],
      },
    ],
  });
}
