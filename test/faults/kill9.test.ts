import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseShareClasses } from '../../src/config.js';
import { auditTopic } from '../support/audit.js';
import { uniqueTopic } from '../support/broker.js';
import { faultDose, Load, sleep, until } from '../support/load.js';
import { startService, type RunningService } from '../support/service.js';

const KILLS = faultDose('FAULT_KILLS', 10, 100);
const SNAPSHOT_KILLS = faultDose('FAULT_SNAPSHOT_KILLS', 4, 40);
const SHARE_CLASSES = 'CS=1000000000,PS=1000000000';
const stateDir = mkdtempSync(join(tmpdir(), 'kill9-state-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe('kill -9 under concurrent load', () => {
  it.each([
    { how: 'reading the whole log at each start', kills: KILLS, snapshots: false },
    { how: 'restoring the snapshot the killed process left, then reading the rest', kills: SNAPSHOT_KILLS, snapshots: true },
  ])(
    'loses no acknowledged certificate and leaves no gap or duplicate across $kills kill -9s, $how',
    async ({ kills: KILLS, snapshots }) => {
      const started = Date.now();
      const topic = uniqueTopic('kill9');
      const env = {
        KAFKA_TOPIC: topic,
        SHARE_CLASSES,
        ...(snapshots ? { STATE_DIR: stateDir, SNAPSHOT_EVERY_RECORDS: '1000' } : {}),
      };
      let service: RunningService = await startService(env);
      const port = service.port;
      const load = new Load(() => service.url, { concurrency: 16, classes: ['CS', 'PS'] }).start();
      const inFlightAtKill: number[] = [];

      for (let kill = 0; kill < KILLS; kill++) {
        // Kill only a process that has acknowledged something, at a random moment while it is busy.
        const before = load.acknowledged.length;
        await until('the restarted service to acknowledge a certificate', () => load.acknowledged.length > before + 5);
        // With snapshots, kill only once this life has saved one, so that the next one restores it.
        if (snapshots) await until('a snapshot of this life', () => service.output().includes('state snapshot saved'));
        await sleep(Math.random() * 1000);
        inFlightAtKill.push(load.inFlight);
        expect(await service.stop('SIGKILL')).toBeNull();
        service = await startService(env, port);
        if (snapshots) expect(service.output()).toContain('state restored from its snapshot');
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
        `[kill9] ${KILLS} kill -9s${snapshots ? ' (restoring snapshots)' : ''}, ${load.outcomes.length} requests (${JSON.stringify(load.tally())}), ` +
          `${load.acknowledged.length} acknowledged, ${issued} in the log, audit ok in ${Math.round((Date.now() - started) / 1000)} s`,
      );
    },
    Math.max(KILLS, SNAPSHOT_KILLS) * 30_000 + 60_000,
  );
});
