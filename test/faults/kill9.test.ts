import { describe, expect, it } from 'vitest';
import { parseShareClasses } from '../../src/config.js';
import { auditTopic } from '../support/audit.js';
import { uniqueTopic } from '../support/broker.js';
import { faultDose, Load, sleep, until } from '../support/load.js';
import { startService, type RunningService } from '../support/service.js';

const KILLS = faultDose('FAULT_KILLS', 10, 100);
const SHARE_CLASSES = 'CS=1000000000,PS=1000000000';

describe('kill -9 under concurrent load', () => {
  it(
    `loses no acknowledged certificate and leaves no gap or duplicate across ${KILLS} kill -9s`,
    async () => {
      const started = Date.now();
      const topic = uniqueTopic('kill9');
      const env = { KAFKA_TOPIC: topic, SHARE_CLASSES };
      let service: RunningService = await startService(env);
      const port = service.port;
      const load = new Load(() => service.url, { concurrency: 16, classes: ['CS', 'PS'] }).start();
      const inFlightAtKill: number[] = [];

      for (let kill = 0; kill < KILLS; kill++) {
        // Kill only a process that has acknowledged something, at a random moment while it is busy.
        const before = load.acknowledged.length;
        await until('the restarted service to acknowledge a certificate', () => load.acknowledged.length > before + 5);
        await sleep(Math.random() * 1000);
        inFlightAtKill.push(load.inFlight);
        expect(await service.stop('SIGKILL')).toBeNull();
        service = await startService(env, port);
      }
      const beforeEnd = load.acknowledged.length;
      await until('the last restart to acknowledge a certificate', () => load.acknowledged.length > beforeEnd + 5);
      await load.stop();
      expect(await service.stop('SIGTERM')).toBe(0);

      const answered = load.outcomes.filter((outcome) => outcome.status !== undefined);
      // A 503 is allowed while a restarted process reads its counters; anything else is a bug.
      expect(answered.filter((outcome) => outcome.status !== 201 && outcome.status !== 503)).toEqual([]);
      // Proof the kills hit requests in flight, not an idle process.
      expect(inFlightAtKill.filter((count) => count > 0).length).toBeGreaterThanOrEqual(KILLS / 2);

      const report = await auditTopic(topic, parseShareClasses(SHARE_CLASSES), load.acknowledged);
      expect(report.violations).toEqual([]);
      expect(report.acknowledgedChecked).toBe(load.acknowledged.length);
      const issued = report.classes.reduce((sum, row) => sum + row.certificates, 0);
      expect(issued).toBeGreaterThanOrEqual(load.acknowledged.length);
      console.log(
        `[kill9] ${KILLS} kill -9s, ${load.outcomes.length} requests (${JSON.stringify(load.tally())}), ` +
          `${load.acknowledged.length} acknowledged, ${issued} in the log, audit ok in ${Math.round((Date.now() - started) / 1000)} s`,
      );
    },
    KILLS * 30_000 + 60_000,
  );
});
