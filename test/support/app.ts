import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sequencers } from '../../src/actors/sequencers.js';
import type { ShareClassConfig } from '../../src/actors/share-class-actor.js';
import { createApp } from '../../src/http/app.js';
import { KafkaLedger } from '../../src/log/kafka-ledger.js';
import { ServiceMetrics } from '../../src/metrics.js';
import { serviceReadiness } from '../../src/readiness.js';
import type { Certificate } from '../../src/actors/certificate.js';
import { afterAll, beforeAll } from 'vitest';
import { broker, uniqueTopic } from './broker.js';
import { readCertificates } from './log.js';

export interface TestApp {
  readonly url: string;
  readonly ledger: KafkaLedger;
  readonly sequencers: Sequencers;
  readonly metrics: ServiceMetrics;
  /** Every certificate in the topic, decoded, oldest first. */
  committed(): Promise<Certificate[]>;
  close(): Promise<void>;
}

/** The real service wired in-process as src/main.ts wires it (real Kafka, real Koa on a loopback port), for HTTP-level tests. */
export async function startApp(topic: string, shareClasses: readonly ShareClassConfig[]): Promise<TestApp> {
  const ledger = new KafkaLedger({ brokers: broker().brokers, topic });
  await ledger.connect();
  const metrics = new ServiceMetrics();
  const sequencers = new Sequencers(shareClasses, ledger, { observer: metrics });
  metrics.collectClasses(() => sequencers.snapshots());
  await sequencers.recoverAll();
  const app = createApp({ issuer: sequencers, metrics, readiness: serviceReadiness(ledger, sequencers) });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ledger,
    sequencers,
    metrics,
    committed: () => readCertificates(topic),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await sequencers.closeAll();
      await ledger.disconnect();
    },
  };
}

/** Starts the app on a fresh topic before a file's tests and closes it after them. */
export function useApp(label: string, shareClasses: readonly ShareClassConfig[]): () => TestApp {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startApp(uniqueTopic(label), shareClasses);
  });
  afterAll(async () => {
    await app?.close();
  });
  return () => {
    if (app === undefined) throw new Error(`the ${label} app has not started`);
    return app;
  };
}
