import { fileURLToPath } from 'node:url';

/**
 * A port apart from the service's default 9092, so tests never touch a developer's running broker,
 * and below Linux's ephemeral range (32768+), where an outgoing connection could hold it while the
 * suite restarts the broker.
 */
export const LOCAL_TEST_PORT = Number(process.env.TEST_KAFKA_PORT ?? 29092);

/** The local broker's listener for the holding proxy (test/support/holding-proxy.ts), and the proxy's port it advertises. */
export const PROXIED_LISTENER_PORT = LOCAL_TEST_PORT + 2;
export const PROXY_PORT = LOCAL_TEST_PORT + 3;

export const brokerScript = fileURLToPath(new URL('../../scripts/kafka/kafka.sh', import.meta.url));

export interface BrokerInfo {
  /** `local`: started from scripts/kafka, so tests may stop and restart it; `external`: KAFKA_BROKERS. */
  readonly mode: 'external' | 'local';
  readonly brokers: string[];
  readonly port?: number;
  /** Local mode only: where a proxy must listen and forward to for clients to stay behind it. */
  readonly proxied?: { readonly listener: string; readonly proxyPort: number };
}

/**
 * The suites that run only against the broker the suite starts itself, and why: against
 * KAFKA_BROKERS they are skipped, and said to be, by the global setup at the start and by each
 * suite (test/support/broker.ts, skipsWithoutOwnBroker). A suite not listed here cannot ask to skip.
 */
export const OWN_BROKER_SUITES: Readonly<Record<string, { readonly suite: string; readonly why: string }>> = {
  'test/log/kafka-security.test.ts': {
    suite: 'Kafka over TLS and SASL',
    why: 'starts a broker of its own with TLS and SASL listeners from scripts/kafka',
  },
  'test/log/kafka-acls.test.ts': {
    suite: 'the Kafka ACLs docs/operations.md lists',
    why: 'starts a broker of its own with an authorizer and SASL users from scripts/kafka',
  },
  'test/log/wire/partition-producer.test.ts': {
    suite: 'PartitionProducer through a proxy',
    why: "needs the local broker's proxied listener",
  },
  'test/log/kafka-ledger.test.ts': {
    suite: 'keeps acknowledged records across a broker restart',
    why: 'stops and starts the broker',
  },
  'test/service/broker-outage.test.ts': { suite: 'when the broker goes away', why: 'stops and starts the broker' },
  'test/faults/broker-outage.test.ts': { suite: 'broker outage under load', why: 'stops and starts the broker' },
  'test/faults/replicated-cluster.test.ts': {
    suite: 'a 3-node replicated Kafka cluster',
    why: 'starts, kills and fills a three-node cluster of its own from scripts/kafka',
  },
  'test/faults/late-write.test.ts': { suite: 'a write delivered late', why: "needs the local broker's proxied listener" },
  'test/faults/overload.test.ts': { suite: 'a full mailbox', why: "needs the local broker's proxied listener" },
  'test/config.test.ts': {
    suite: 'every setting reaches a part of the running service that reads it',
    why: 'starts the service without KAFKA_BROKERS, on the local broker it started',
  },
  'test/cluster/idempotent-retry.test.ts': {
    suite: 'Idempotency-Key across three instances',
    why: "needs the local broker's proxied listener",
  },
};
