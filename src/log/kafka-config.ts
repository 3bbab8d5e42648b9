import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** How to reach a cluster that wants TLS, SASL or both (a managed one, usually). */
export interface KafkaSecurity {
  readonly tls?: {
    /** PEM certificates to trust instead of the system's. */
    readonly ca?: string;
    /** A client certificate and its key (PEM), for brokers that authenticate clients by certificate. */
    readonly cert?: string;
    readonly key?: string;
    readonly rejectUnauthorized: boolean;
  };
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
}

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly clientId?: string;
  readonly security?: KafkaSecurity;
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
  const { tls, sasl } = settings.security ?? {};
  return new Kafka({
    clientId: settings.clientId ?? 'certificates',
    brokers: [...settings.brokers],
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
    ...(sasl === undefined ? {} : { sasl: sasl as SASLOptions }),
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
