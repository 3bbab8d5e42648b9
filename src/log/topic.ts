import type { Admin, Kafka } from 'kafkajs';

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

/**
 * Creates the certificates topic if it is missing: one partition (one total order per class, and
 * atomic multi-record appends), retention forever (an audit trail must not expire).
 */
export async function ensureTopic(kafka: Kafka, spec: TopicSpec): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(spec.topic)) await create(admin, spec);
    await waitForLeader(admin, spec.topic);
  } finally {
    await admin.disconnect();
  }
}

/** kafkajs's own waitForLeaders gives up on the "does not host this partition" a fresh topic answers at first. */
async function waitForLeader(admin: Admin, topic: string, timeoutMs = 15_000): Promise<void> {
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
