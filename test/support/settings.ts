import { DEFAULTS, loadConfig, type Config } from '../../src/config.js';
import type { ShareClassConfig } from '../../src/core/share-class.js';
import type { KafkaConnection } from '../../src/log/kafka-config.js';
import { KafkaLedger } from '../../src/log/kafka-ledger.js';
import type { TopicSettings } from '../../src/log/topic.js';
import { printer, type Printer } from '../../src/paper/printer.js';
import type { ServiceSettings } from '../../src/service.js';
import { broker } from './broker.js';
import { TEST_CLUSTER_SECRET } from './cluster-secret.js';
import { SIGNING_FILE } from './signing.js';

/** The connection to the suite's broker (or `brokers`), plaintext. */
export function connection(brokers: readonly string[] = broker().brokers): KafkaConnection {
  return { brokers, security: {}, debug: false };
}

/** A topic's settings as the service creates it by default. */
export function topicSettings(name: string, overrides: Partial<TopicSettings> = {}): TopicSettings {
  return { ...loadConfig({ KAFKA_TOPIC: name }).topic, ...overrides };
}

/** A ledger on the topic, for tests that read or write the log as the service does. */
export function ledgerOn(topic: string, clientId: string, brokers?: readonly string[]): KafkaLedger {
  return new KafkaLedger(connection(brokers), topicSettings(topic), { appendTimeoutMs: DEFAULTS.commitTimeoutMs, clientId });
}

/** Everything one in-process instance needs: the defaults, on the suite's broker, the topic and classes given, changed where a test says. */
export function serviceSettings(
  topic: string,
  shareClasses: readonly ShareClassConfig[],
  overrides: { readonly [K in keyof ServiceSettings]?: Partial<ServiceSettings[K]> } = {},
): ServiceSettings {
  const config: Config = loadConfig({ KAFKA_TOPIC: topic });
  return {
    kafka: { ...connection(), ...overrides.kafka },
    topic: { ...config.topic, ...overrides.topic },
    issuing: { ...config.issuing, shareClasses, ...overrides.issuing },
    cluster: { ...config.cluster, ...overrides.cluster },
    internal: { ...config.internal, secret: TEST_CLUSTER_SECRET, ...overrides.internal },
    state: { ...config.state, ...overrides.state },
    signing: { keyFile: SIGNING_FILE, development: false, ...overrides.signing },
  };
}

/** Paper as the default company prints it, for apps whose tests do not look at paper. */
export function testPrinter(classes: readonly ShareClassConfig[] = []): Printer {
  return printer({ companyName: DEFAULTS.companyName, publicUrl: undefined }, classes);
}
