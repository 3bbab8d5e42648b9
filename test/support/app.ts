import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Certificate } from '../../src/core/certificate.js';
import type { ShareClassConfig } from '../../src/core/share-class.js';
import { DEFAULTS } from '../../src/config.js';
import { createApp, type AppOptions } from '../../src/http/app.js';
import { createInternalApp } from '../../src/http/internal-app.js';
import { printer } from '../../src/paper/printer.js';
import { startService, type Service, type ServiceSettings } from '../../src/service.js';
import { afterAll, beforeAll } from 'vitest';
import { uniqueTopic } from './broker.js';
import { readCertificates } from './log.js';
import { testAuthenticator } from './credentials.js';
import { freePort } from './service.js';
import { serviceSettings } from './settings.js';

export interface TestApp extends Service {
  readonly url: string;
  readonly topic: string;
  /** Every valid certificate in the topic, oldest first. */
  committed(): Promise<Certificate[]>;
  close(): Promise<void>;
}

/**
 * The real service wired in-process as src/main.ts wires it (real Kafka, the writer election, real
 * Koa on a loopback port), for HTTP-level tests. Several on one topic form a cluster.
 */
export async function startApp(
  topic: string,
  shareClasses: readonly ShareClassConfig[],
  settings: { readonly [K in keyof ServiceSettings]?: Partial<ServiceSettings[K]> } = {},
  appOptions: Partial<AppOptions> = {},
  listen: { readonly port?: number } = {},
): Promise<TestApp> {
  const port = listen.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  // The other instances forward to the internal listener, which this one advertises.
  const internalPort = await freePort();
  const service = await startService(
    serviceSettings(topic, shareClasses, {
      ...settings,
      cluster: { advertisedUrl: `http://127.0.0.1:${internalPort}`, ...settings.cluster },
    }),
  );
  const paper = appOptions.paper ?? printer({ companyName: DEFAULTS.companyName, publicUrl: undefined }, shareClasses);
  // The admin key's file, read as an instance reads API_KEYS_FILE (test/support/credentials.ts).
  const credentials = testAuthenticator();
  const app = createApp({
    issuer: service.node,
    metrics: service.metrics,
    readiness: service.readiness,
    logSample: DEFAULTS.logSample,
    authenticator: credentials.authenticator,
    ...(service.signing === undefined ? {} : { signingKeys: () => service.signing!.publicSet() }),
    ...appOptions,
    paper,
  });
  const server: Server = app.listen(port, '127.0.0.1');
  const internal: Server = createInternalApp({ issuer: service.node, proof: service.clusterAuth }).listen(internalPort, '127.0.0.1');
  await Promise.all([once(server, 'listening'), once(internal, 'listening')]);
  return {
    ...service,
    url,
    topic,
    readiness: service.readiness,
    committed: () => readCertificates(topic, shareClasses),
    async close() {
      for (const listener of [server, internal]) listener.closeAllConnections();
      await Promise.all([server, internal].map((listener) => new Promise((resolve) => listener.close(resolve))));
      await service.close();
      if (appOptions.paper === undefined) await paper.close();
      credentials.close();
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
