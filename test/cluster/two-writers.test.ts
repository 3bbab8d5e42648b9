import { describe, expect, it } from 'vitest';
import type { ShareClassConfig } from '../../src/core/share-class.js';
import { startApp, type TestApp } from '../support/app.js';
import { auditTopic } from '../support/audit.js';
import { uniqueTopic } from '../support/broker.js';
import { acknowledgedTwice, lookupMismatches } from '../support/cluster.js';
import { issue } from '../support/http.js';
import { Load, sleep } from '../support/load.js';
import { misplacedEntries, readLog } from '../support/log.js';

const SHARE_CLASSES: ShareClassConfig[] = [
  { code: 'CS', authorized: 1_000_000_000 },
  // Small enough to run out during the race: refusals must be judged on the numbers that held.
  { code: 'PS', authorized: 20_000 },
];

describe('two writers forced to write at once, bypassing the election', () => {
  it('acknowledge one numbering: the rule voids whatever lost a race, and each lost request is numbered again', async () => {
    const topic = uniqueTopic('two-writers');
    // Different groups: each instance wins its own election, so both write to the one topic.
    const writers: TestApp[] = [
      await startApp(topic, SHARE_CLASSES, { cluster: { writerGroup: `${topic}.a` } }),
      await startApp(topic, SHARE_CLASSES, { cluster: { writerGroup: `${topic}.b` } }),
    ];
    try {
      expect(writers.map((writer) => writer.node.role)).toEqual(['writer', 'writer']);
      let next = 0;
      const load = new Load(() => writers[next++ % 2]!.url, { concurrency: 20, classes: ['CS', 'PS'] }).start();
      await sleep(5000);
      await load.stop();

      const acknowledged = load.acknowledged;
      const tally = load.tally();
      expect(Object.keys(tally).filter((label) => !['201', '409 insufficient_shares', '503 log_unavailable'].includes(label))).toEqual([]);
      expect(acknowledgedTwice(acknowledged)).toEqual([]);
      const log = await readLog(topic);
      // A write that lost a race lands away from where it stated, its records and its seal alike.
      const misplaced = misplacedEntries(log).length;
      // Proof the two really raced: writes landed where the other had written first.
      expect(misplaced).toBeGreaterThan(0);
      const renumbered = writers.reduce((sum, writer) => sum + writer.metrics.renumberedTotal, 0);
      expect(renumbered).toBeGreaterThan(0);

      const report = await auditTopic(topic, SHARE_CLASSES, acknowledged);
      expect(report.violations).toEqual([]);
      expect(report.acknowledgedChecked).toBe(acknowledged.length);
      expect(report.voidRecords.total).toBe(misplaced);
      const ps = report.classes.find((row) => row.class === 'PS')!;
      expect(ps.sharesIssued).toBeLessThanOrEqual(20_000);
      expect(
        await lookupMismatches(
          writers.map((writer) => writer.url),
          acknowledged,
        ),
      ).toEqual([]);

      // Both restart cleanly on the topic, now electing within one group, and go on from the last number.
      await Promise.all(writers.map((writer) => writer.close()));
      writers.splice(0, 2, await startApp(topic, SHARE_CLASSES), await startApp(topic, SHARE_CLASSES));
      const csIssued = report.classes.find((row) => row.class === 'CS')!.certificates;
      const replies = [await issue(writers[0]!.url, 'CS', 1), await issue(writers[1]!.url, 'CS', 1)];
      expect(replies.map((reply) => reply.body.id)).toEqual([`CS-${csIssued + 1}`, `CS-${csIssued + 2}`]);
      expect(writers.map((writer) => writer.node.role).sort()).toEqual(['follower', 'writer']);
      console.log(
        `[two-writers] ${load.outcomes.length} requests ${JSON.stringify(tally)} in 5 s, ${acknowledged.length} acknowledged, ` +
          `${misplaced} void records, ${renumbered} requests renumbered, audit ok`,
      );
    } finally {
      await Promise.all(writers.map((writer) => writer.close()));
    }
  });
});
