import type { Kafka } from 'kafkajs';

export interface TopicSpec {
  readonly topic: string;
  readonly minInsyncReplicas?: number;
  readonly replicationFactor?: number;
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
    if (existing.includes(spec.topic)) return;
    await admin.createTopics({
      waitForLeaders: true,
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
  } finally {
    await admin.disconnect();
  }
}
