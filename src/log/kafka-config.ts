import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { quietIdleRequestQueues } from './kafkajs-request-queue.js';
import { kafkajsSasl } from './kafkajs-sasl.js';
import { cappedSocketFactory } from './kafkajs-socket.js';
import type { KafkaSecurity } from './kafka-security.js';

/** How to reach the Kafka cluster (KAFKA_BROKERS, KAFKA_TLS_*, KAFKA_SASL_*, KAFKAJS_DEBUG). */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  /** TLS and SASL towards the brokers; empty for a plaintext cluster. */
  readonly security: KafkaSecurity;
  /** Print kafkajs's own log lines (debug level and up) to stderr. */
  readonly debug: boolean;
}

/**
 * One Kafka client for the service. Timeouts are short on purpose: a client waiting on a dead
 * broker should get a 503 in seconds, not hang for kafkajs's 30 s defaults.
 */
export function createKafka(connection: KafkaConnection, clientId = 'certificates'): Kafka {
  quietIdleRequestQueues();
  const { tls, sasl } = connection.security;
  return new Kafka({
    clientId,
    brokers: [...connection.brokers],
    ...(tls === undefined
      ? {}
      : {
          ssl: {
            rejectUnauthorized: tls.rejectUnauthorized,
            ...(tls.ca === undefined ? {} : { ca: [tls.ca] }),
            ...(tls.cert === undefined ? {} : { cert: tls.cert }),
            ...(tls.key === undefined ? {} : { key: tls.key }),
          },
        }),
    ...(sasl === undefined ? {} : { sasl: kafkajsSasl(sasl) }),
    socketFactory: cappedSocketFactory(),
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    // kafkajs logs every failed request at ERROR; the service's own errors already carry the cause.
    logLevel: connection.debug ? logLevel.DEBUG : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => console.error(JSON.stringify({ kafkajs: entry.namespace, level: entry.label, ...entry.log })),
  });
}
