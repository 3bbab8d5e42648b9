import { DEFAULTS, loadConfig } from '../../src/config.js';
import type { KafkaConnection } from '../../src/log/kafka-config.js';
import { KafkaLedger } from '../../src/log/kafka-ledger.js';
import type { TopicSettings } from '../../src/log/topic.js';

/** A plaintext connection to the bench's brokers (`host:port,host:port`). */
export function benchConnection(brokers: string | readonly string[]): KafkaConnection {
  return { brokers: typeof brokers === 'string' ? brokers.split(',') : brokers, security: {}, debug: false };
}

/** A topic as the service creates it by default. */
export function benchTopic(name: string): TopicSettings {
  return loadConfig({ KAFKA_TOPIC: name }).topic;
}

/** A ledger on the topic with the service's default commit timeout. */
export function benchLedger(brokers: string | readonly string[], topic: string, clientId: string): KafkaLedger {
  return new KafkaLedger(benchConnection(brokers), benchTopic(topic), { appendTimeoutMs: DEFAULTS.commitTimeoutMs, clientId });
}
