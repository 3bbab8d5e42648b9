import { broker } from './broker.js';
import { startChild, type Child } from './child-process.js';
import { clusterSecretFile } from './cluster-secret.js';
import { freePort } from './free-port.js';

// Where it was first: tests import it from here.
export { freePort };

/** A service process; `internalUrl` is its internal listener's, which it advertises to the others. */
export type RunningService = Child & { readonly internalUrl: string };

/**
 * Starts the real service (src/main.ts) as its own process against the suite's broker, so tests
 * can restart it, SIGTERM it or kill -9 it like an operator would. It accepts the test admin key (startChild).
 */
export async function startService(env: Record<string, string>, port?: number): Promise<RunningService> {
  const listenPort = port ?? (await freePort());
  const internalPort = env.INTERNAL_PORT ?? String(await freePort());
  // With a certificate, the internal listener speaks TLS, and is advertised so.
  const internalUrl = `${env.INTERNAL_TLS_CERT_FILE === undefined ? 'http' : 'https'}://127.0.0.1:${internalPort}`;
  const child = await startChild({
    name: 'service',
    args: ['--import', 'tsx', 'src/main.ts'],
    port: listenPort,
    env: {
      KAFKA_BROKERS: broker().brokers.join(','),
      HOST: '127.0.0.1',
      PORT: String(listenPort),
      INTERNAL_PORT: internalPort,
      // Tests bind and advertise loopback only; instances reach each other on the internal listener.
      ADVERTISED_URL: internalUrl,
      CLUSTER_SECRET_FILE: clusterSecretFile(),
      ...env,
    },
  });
  return Object.assign(child, { internalUrl });
}
