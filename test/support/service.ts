import { once } from 'node:events';
import { createServer } from 'node:net';
import { broker } from './broker.js';
import { startChild, type Child } from './child-process.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export type RunningService = Child;

/**
 * Starts the real service (src/main.ts) as its own process against the suite's broker, so tests
 * can restart it, SIGTERM it or kill -9 it like an operator would. It accepts the test admin key (startChild).
 */
export async function startService(env: Record<string, string>, port?: number): Promise<RunningService> {
  const listenPort = port ?? (await freePort());
  return startChild({
    name: 'service',
    args: ['--import', 'tsx', 'src/main.ts'],
    port: listenPort,
    env: {
      KAFKA_BROKERS: broker().brokers.join(','),
      HOST: '127.0.0.1',
      PORT: String(listenPort),
      // Tests bind and advertise loopback only.
      ADVERTISED_URL: `http://127.0.0.1:${listenPort}`,
      ...env,
    },
  });
}
