import { describe, expect, it } from 'vitest';
import { parseShareClasses } from '../../src/config.js';
import { auditTopic } from '../support/audit.js';
import { skipsWithoutOwnBroker, startBroker, stopBroker, uniqueTopic } from '../support/broker.js';
import { faultDose, Load, sleep, until } from '../support/load.js';
import { startService } from '../support/service.js';

const OUTAGES = faultDose('FAULT_OUTAGES', 1, 5);
/** How long the broker stays down each time; long enough for several commit timeouts to pass. */
const DOWN_MS = 15_000;
/** "A few seconds": the service's commit timeout is 5 s, plus room for a loaded 2-core machine. */
const ANSWER_WITHIN_MS = 8_000;
const SHARE_CLASSES = 'CS=1000000000,PS=1000000000';

describe.skipIf(skipsWithoutOwnBroker(import.meta.url))('broker outage under load', () => {
  it(
    `answers 503 within ${ANSWER_WITHIN_MS / 1000} s while the broker is down and serves again without a restart (${OUTAGES} outage${OUTAGES === 1 ? '' : 's'})`,
    async () => {
      const started = Date.now();
      const topic = uniqueTopic('outage');
      const service = await startService({ KAFKA_TOPIC: topic, SHARE_CLASSES });
      const load = new Load(() => service.url, { concurrency: 8, classes: ['CS', 'PS'], requestTimeoutMs: 30_000 }).start();
      const downWindows: Array<{ from: number; to: number }> = [];
      const recoveryMs: number[] = [];

      try {
        for (let outage = 0; outage < OUTAGES; outage++) {
          const before = load.acknowledged.length;
          await until('certificates before the outage', () => load.acknowledged.length > before + 50);
          await stopBroker();
          const from = Date.now();
          await sleep(DOWN_MS);
          downWindows.push({ from, to: Date.now() });
          await startBroker();
          const back = Date.now();
          await until('a 201 after the broker came back', () => load.outcomes.some((o) => o.startedAt > back && o.status === 201), 60_000);
          recoveryMs.push(Date.now() - back);
        }
        const beforeEnd = load.acknowledged.length;
        await until('certificates after the last outage', () => load.acknowledged.length > beforeEnd + 50);
      } finally {
        await load.stop();
      }

      expect(service.child.exitCode).toBeNull();
      // Never a hang, a dropped connection or a 500: every request is answered 201 or 503, in bounded time.
      expect(load.outcomes.filter((o) => o.failure !== undefined)).toEqual([]);
      expect(load.outcomes.filter((o) => o.status !== 201 && o.status !== 503)).toEqual([]);
      for (const { from, to } of downWindows) {
        // Requests sent once the broker was gone and answered before it could be back.
        const whileDown = load.outcomes.filter((o) => o.startedAt >= from && o.startedAt + ANSWER_WITHIN_MS <= to);
        expect(whileDown.length).toBeGreaterThan(0);
        expect(whileDown.filter((o) => o.status !== 503 || o.code !== 'log_unavailable' || o.ms > ANSWER_WITHIN_MS)).toEqual([]);
      }
      expect(await service.stop('SIGTERM')).toBe(0);

      const report = await auditTopic(topic, parseShareClasses(SHARE_CLASSES), load.acknowledged);
      expect(report.violations).toEqual([]);
      const slowest = Math.max(...load.outcomes.map((o) => o.ms));
      console.log(
        `[outage] ${OUTAGES} broker stop/start, ${load.outcomes.length} requests (${JSON.stringify(load.tally())}), slowest answer ${slowest} ms, ` +
          `first 201 ${recoveryMs.join('/')} ms after the broker was back, ${load.acknowledged.length} acknowledged, audit ok in ${Math.round((Date.now() - started) / 1000)} s`,
      );
    },
    OUTAGES * 120_000 + 60_000,
  );
});
