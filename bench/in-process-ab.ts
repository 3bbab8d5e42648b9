/**
 * The issuing core without HTTP, one build against another: one instance in this process (the
 * writer, on a fresh topic), keyed requests from an API key's principal issued straight through
 * `node.issue` at a fixed concurrency. Prints requests a second and this process's CPU per request.
 * Run it for each build in turn, alternating, on one broker:
 *
 *   npx tsx bench/in-process-ab.ts <source root> [requests=40000] [concurrency=500]
 *
 * A build from before records named their principal ignores the request's `principal` and `requestId`.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { loadConfig as LoadConfig } from '../src/config.js';
import type { IssueRequest } from '../src/core/certificate.js';
import type { startService as StartService } from '../src/service.js';

const [rootArg, requestsArg, concurrencyArg] = process.argv.slice(2);
const root = resolve(rootArg ?? '.');
const requests = Number(requestsArg ?? 40_000);
const concurrency = Number(concurrencyArg ?? 500);
const { startService } = (await import(`${root}/src/service.ts`)) as { startService: typeof StartService };
const { loadConfig } = (await import(`${root}/src/config.ts`)) as { loadConfig: typeof LoadConfig };
const config = loadConfig({ ...process.env, KAFKA_TOPIC: `bench-in-process-${randomUUID()}`, SHARE_CLASSES: 'CS=1000000000000' });
const { kafka, state } = config;
const brokers = kafka.brokers ?? [`127.0.0.1:${kafka.localPort}`];
// The whole configuration: each build takes the sections its service reads.
const service = await startService({ ...config, kafka: { ...kafka, brokers }, state: { ...state, dir: undefined } });
while (service.node.role !== 'writer') await new Promise((resolve) => setTimeout(resolve, 50));

let sent = 0;
const request = (): IssueRequest => ({
  class: 'CS',
  name: 'Salt Bae',
  amount: 1,
  idempotencyKey: randomUUID(),
  principal: 'key:k7Qm2xR4vT9bN3cW',
  requestId: `3f9a0c41d27be85a16-${(++sent).toString(36)}`,
});
async function issue(count: number): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await service.node.issue(request());
    }),
  );
}

await issue(3000);
const cpu = process.cpuUsage();
const started = performance.now();
await issue(requests);
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify({ root, rps: Math.round((requests / ms) * 1000), cpuUsPerRequest: Math.round((used.user + used.system) / requests) }),
);
await service.close();
process.exit(0);
