import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { brokerScript, type BrokerInfo } from './broker-info.js';

const run = promisify(execFile);

export function broker(): BrokerInfo {
  return inject('broker');
}

/** Broker stop/start is only ours to do when the project's scripts started it. */
export function canRestartBroker(): boolean {
  return broker().mode === 'local';
}

async function script(command: 'start' | 'stop'): Promise<void> {
  const info = broker();
  if (info.mode !== 'local') throw new Error(`cannot ${command} a broker in ${info.mode} mode`);
  const proxied =
    info.proxied === undefined
      ? {}
      : { KAFKA_PROXIED_PORT: info.proxied.listener.split(':')[1], KAFKA_PROXY_PORT: String(info.proxied.proxyPort) };
  await run(brokerScript, [command], { env: { ...process.env, KAFKA_PORT: String(info.port), ...proxied } });
}

export const stopBroker = (): Promise<void> => script('stop');
export const startBroker = (): Promise<void> => script('start');

/** Each test file gets topics of its own, so files never see each other's certificates. */
export function uniqueTopic(label: string): string {
  return `test-${label}-${randomUUID().slice(0, 8)}`;
}
