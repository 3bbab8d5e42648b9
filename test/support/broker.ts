import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { brokerScript, OWN_BROKER_SUITES, type BrokerInfo } from './broker-info.js';

const run = promisify(execFile);

export function broker(): BrokerInfo {
  return inject('broker');
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * For `describe.skipIf`/`it.skipIf` in a suite listed in OWN_BROKER_SUITES, given its
 * `import.meta.url`: true against KAFKA_BROKERS, with a warning naming the suite and why, so a
 * skipped proof is counted as skipped and seen, never taken for a pass.
 */
export function skipsWithoutOwnBroker(fileUrl: string): boolean {
  const file = relative(ROOT, fileURLToPath(fileUrl));
  const listed = OWN_BROKER_SUITES[file];
  if (listed === undefined) throw new Error(`${file} is not in OWN_BROKER_SUITES (test/support/broker-info.ts)`);
  const info = broker();
  if (info.mode === 'local') return false;
  console.warn(
    `[broker] SKIPPED ${file} (${listed.suite}): it ${listed.why}, and KAFKA_BROKERS=${info.brokers.join(',')} is set; unset it to run it`,
  );
  return true;
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
