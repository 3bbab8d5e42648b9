import { execFileSync, spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { readFileSync } from 'node:fs';
import { brokerScript, LOCAL_TEST_PORT, OWN_BROKER_SUITES, PROXIED_LISTENER_PORT, PROXY_PORT, type BrokerInfo } from './broker-info.js';

declare module 'vitest' {
  export interface ProvidedContext {
    broker: BrokerInfo;
  }
}

function hasProxiedListener(env: NodeJS.ProcessEnv): boolean {
  const status = spawnSync(brokerScript, ['status'], { env, encoding: 'utf8' }).stdout;
  const dataDir = /data=(\S+)/.exec(status)?.[1];
  try {
    return (
      dataDir !== undefined && readFileSync(`${dataDir}/server.properties`, 'utf8').includes(`PROXIED://127.0.0.1:${PROXIED_LISTENER_PORT}`)
    );
  } catch {
    return false;
  }
}

/**
 * The suite's broker: the project's own Apache Kafka (scripts/kafka, the version the service is
 * built for), started here unless KAFKA_BROKERS names one; then the suites that need a broker of
 * their own skip, and this says which at the start.
 */
export default function setup(project: TestProject): () => void {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    console.log(`[broker] using KAFKA_BROKERS=${external}`);
    const skipping = Object.entries(OWN_BROKER_SUITES).map(([file, { suite }]) => `${file} (${suite})`);
    console.warn(
      `[broker] KAFKA_BROKERS is set: ${skipping.length} suites will SKIP, as they need the broker the suite starts itself: ${skipping.join(', ')}`,
    );
    project.provide('broker', { mode: 'external', brokers: external.split(',') });
    return () => undefined;
  }

  const env = {
    ...process.env,
    KAFKA_PORT: String(LOCAL_TEST_PORT),
    KAFKA_PROXIED_PORT: String(PROXIED_LISTENER_PORT),
    KAFKA_PROXY_PORT: String(PROXY_PORT),
  };
  let wasRunning = spawnSync(brokerScript, ['status'], { env }).status === 0;
  if (wasRunning && !hasProxiedListener(env)) {
    // A broker started before the proxied listener existed: the late-write test needs it.
    execFileSync(brokerScript, ['stop'], { env, stdio: 'inherit' });
    wasRunning = false;
  }
  const started = Date.now();
  execFileSync(brokerScript, ['start'], { env, stdio: 'inherit' });
  console.log(
    `[broker] local Apache Kafka from scripts/kafka/kafka.sh on 127.0.0.1:${LOCAL_TEST_PORT} (${wasRunning ? 'already running' : `started in ${Date.now() - started} ms`})`,
  );
  project.provide('broker', {
    mode: 'local',
    brokers: [`127.0.0.1:${LOCAL_TEST_PORT}`],
    port: LOCAL_TEST_PORT,
    proxied: { listener: `127.0.0.1:${PROXIED_LISTENER_PORT}`, proxyPort: PROXY_PORT },
  });
  return () => {
    if (!wasRunning) execFileSync(brokerScript, ['stop'], { env, stdio: 'inherit' });
  };
}
