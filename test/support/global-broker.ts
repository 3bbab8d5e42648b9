import { execFileSync, spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { readFileSync } from 'node:fs';
import { brokerScript, LOCAL_TEST_PORT, PROXIED_LISTENER_PORT, PROXY_PORT, type BrokerInfo } from './broker-info.js';

declare module 'vitest' {
  export interface ProvidedContext {
    broker: BrokerInfo;
  }
}

function dockerAnswers(): boolean {
  const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000, encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.trim().length > 0;
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
 * Finds a real broker for the suite, in this order: KAFKA_BROKERS if set; a testcontainers Kafka if
 * a Docker engine answers; else the project's own scripts start Apache Kafka locally.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    console.log(`[broker] using KAFKA_BROKERS=${external}`);
    project.provide('broker', { mode: 'external', brokers: external.split(',') });
    return async () => undefined;
  }

  if (dockerAnswers()) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().withExposedPorts(9093).start();
    const brokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
    console.log(`[broker] testcontainers Kafka at ${brokers[0]}`);
    project.provide('broker', { mode: 'container', brokers });
    return async () => {
      await container.stop();
    };
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
  return async () => {
    if (!wasRunning) execFileSync(brokerScript, ['stop'], { env, stdio: 'inherit' });
  };
}
