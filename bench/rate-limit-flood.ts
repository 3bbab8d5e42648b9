/**
 * A running instance's resident set under a flood of distinct callers: `count` GET /healthz, each
 * from a new address (X-Forwarded-For, TRUST_PROXY=1), sampled from /proc as the flood goes. The
 * rate limiter remembers at most MAX_RATE_LIMITED_CALLERS of them; the resident set must level off.
 * Run (after npm run build, against a broker): BENCH_KAFKA_BROKERS=host:port npx tsx bench/rate-limit-flood.ts [count] [dist]
 */
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { startChild } from '../test/support/child-process.js';
import { rssMiB } from './lib/rss.js';
import { UNLIMITED_SHARE_CLASSES } from './lib/scenarios.js';
import { benchPlaces } from './lib/options.js';

const count = Number(process.argv[2] ?? 1_000_000);
const build = process.argv[3] ?? 'dist';
const CONCURRENCY = 50;
const places = benchPlaces(process.env);
if (places.kafkaBrokers === undefined) throw new Error('Expected BENCH_KAFKA_BROKERS: the flood needs a broker already running');

const server = await startChild({
  name: 'flood',
  args: [join(build, 'main.js')],
  port: places.basePort,
  env: {
    PORT: String(places.basePort),
    HOST: '127.0.0.1',
    KAFKA_BROKERS: places.kafkaBrokers,
    KAFKA_TOPIC: `bench-flood-${Date.now()}`,
    SHARE_CLASSES: UNLIMITED_SHARE_CLASSES,
    TRUST_PROXY: '1',
    LOG_LEVEL: 'warn',
  },
});
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const address = (index: number): string => `10.${(index >>> 16) & 255}.${(index >>> 8) & 255}.${index & 255}`;
const get = (index: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const call = request(`${server.url}/healthz`, { agent, headers: { 'x-forwarded-for': address(index) } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    call.on('error', reject);
    call.end();
  });

const started = performance.now();
const statuses = new Map<number, number>();
let next = 0;
const every = Math.max(1, Math.floor(count / 10));
console.log(`0 callers: RSS ${rssMiB(server.pid).now} MiB`);
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      const index = next++;
      const status = await get(index);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if ((index + 1) % every === 0) {
        const rss = rssMiB(server.pid);
        console.log(`${(index + 1).toLocaleString('en-US')} callers: RSS ${rss.now} MiB (peak ${rss.peak})`);
      }
    }
  }),
);
console.log(
  `${count.toLocaleString('en-US')} requests from as many addresses in ${Math.round((performance.now() - started) / 1000)} s, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
);
agent.destroy();
await server.stop();
