import { Kafka, logLevel, type LogEntry } from 'kafkajs';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly clientId?: string;
  /** Topic setting used only when this service creates the topic (default 1). */
  readonly minInsyncReplicas?: number;
  readonly replicationFactor?: number;
  /** Topic setting used only when this service creates the topic: fsync each write (see TopicSpec). */
  readonly flushEveryWrite?: boolean;
}

/**
 * One Kafka client for the service. Timeouts are short on purpose: a client waiting on a dead
 * broker should get a 503 in seconds, not hang for kafkajs's 30 s defaults.
 */
export function createKafka(settings: KafkaSettings): Kafka {
  return new Kafka({
    clientId: settings.clientId ?? 'certificates',
    brokers: [...settings.brokers],
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.ERROR,
    logCreator: () => (entry: LogEntry) => {
      // kafkajs logs every failed request at ERROR; our own errors already carry the cause.
      if (process.env.KAFKAJS_DEBUG) console.error(JSON.stringify({ kafkajs: entry.namespace, ...entry.log }));
    },
  });
}
