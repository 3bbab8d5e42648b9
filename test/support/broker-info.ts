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
  /** `local`: started from scripts/kafka, so tests may stop and restart it. */
  readonly mode: 'external' | 'container' | 'local';
  readonly brokers: string[];
  readonly port?: number;
  /** Local mode only: where a proxy must listen and forward to for clients to stay behind it. */
  readonly proxied?: { readonly listener: string; readonly proxyPort: number };
}
