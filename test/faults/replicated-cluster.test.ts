import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseShareClasses } from '../../src/config.js';
import { auditTopic } from '../support/audit.js';
import { skipsWithoutOwnBroker, uniqueTopic } from '../support/broker.js';
import { acknowledgedTwice, Cluster, median } from '../support/cluster.js';
import { KafkaCluster } from '../support/kafka-cluster.js';
import { faultDose, Load, until } from '../support/load.js';
import { startService } from '../support/service.js';

const LEADER_KILLS = faultDose('REPLICATED_LEADER_KILLS', 3, 10);
const SHARE_CLASSES = 'CS=1000000000,PS=1000000000';
/** The node whose data dir sits on a small tmpfs of its own, for the disk-full fault. */
const STARVED_NODE = 3;

const kafka = new KafkaCluster(3);

/** Mounts a small tmpfs on the node's data dir; false where this machine will not (no root, no tmpfs). */
function mountSmallDisk(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // Not mounted.
  }
}

describe.skipIf(skipsWithoutOwnBroker(import.meta.url))('a 3-node replicated Kafka cluster under load, its brokers dying', () => {
  let diskMounted = false;

  beforeAll(async () => {
    unmount(kafka.dataDir(STARVED_NODE));
    await kafka.wipe();
    diskMounted = mountSmallDisk(kafka.dataDir(STARVED_NODE));
    await kafka.start();
  }, 180_000);

  afterAll(async () => {
    await kafka.stop();
    unmount(kafka.dataDir(STARVED_NODE));
    await kafka.wipe();
  }, 120_000);

  it('warns at start when the topic could lose acknowledged certificates: replication below 3, or unclean leader election', async () => {
    const thin = await startService({
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKA_TOPIC: uniqueTopic('thin'),
      KAFKA_REPLICATION_FACTOR: '1',
    });
    const sound = await startService({
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKA_TOPIC: uniqueTopic('sound'),
      KAFKA_REPLICATION_FACTOR: '3',
      KAFKA_MIN_INSYNC_REPLICAS: '2',
    });
    await Promise.all([thin.stop(), sound.stop()]);
    expect(thin.output()).toContain('has replication factor 1 on a cluster of 3 brokers');
    expect(sound.output()).not.toMatch(/replication factor|min\.insync|unclean/);

    const unclean = uniqueTopic('unclean');
    await kafka.createTopic(unclean, { 'unclean.leader.election.enable': 'true', 'min.insync.replicas': '1' });
    const risky = await startService({ KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC: unclean });
    await risky.stop();
    expect(risky.output()).toContain('unclean.leader.election.enable=true');
    expect(risky.output()).toContain('min.insync.replicas=1');
  }, 120_000);

  it(
    `loses no acknowledged certificate and keeps writing through ${LEADER_KILLS} leader kills, two of three nodes dying, a whole-cluster restart and a full disk, beside other topics left leaderless`,
    async () => {
      const started = Date.now();
      const topic = uniqueTopic('replicated');
      const classes = parseShareClasses(SHARE_CLASSES);
      const service = await Cluster.start(2, {
        KAFKA_BROKERS: kafka.brokers.join(','),
        KAFKA_TOPIC: topic,
        SHARE_CLASSES,
        KAFKA_REPLICATION_FACTOR: '3',
        KAFKA_MIN_INSYNC_REPLICAS: '2',
      });
      const load = new Load(service.roundRobin(), { concurrency: 20, classes: ['CS', 'PS'], thinkMs: 20 }).start();
      const report: string[] = [];

      /** Resolves with the time from `since` to the answer of the first 201 to a request sent after it. */
      const nextAcknowledged = async (what: string, since: number): Promise<number> => {
        let at = 0;
        await until(
          `a 201 after ${what}`,
          () => {
            const answered = load.outcomes.filter((outcome) => outcome.status === 201 && outcome.startedAt >= since);
            if (answered.length === 0) return false;
            at = Math.min(...answered.map((outcome) => outcome.startedAt + outcome.ms));
            return true;
          },
          120_000,
        );
        return at - since;
      };
      /** Checks what every fault must leave: each acknowledged id once, each in the log as acknowledged, the audit clean. */
      const sound = async (what: string, from: number): Promise<void> => {
        const acknowledged = [...load.acknowledged];
        expect(acknowledgedTwice(acknowledged), what).toEqual([]);
        const audit = await auditTopic(topic, classes, acknowledged, kafka.brokers);
        expect(audit.violations, what).toEqual([]);
        expect(audit.acknowledgedChecked, what).toBe(acknowledged.length);
        report.push(`${what}: ${JSON.stringify(load.tally(from))}`);
      };

      try {
        // Someone else's topics on the same cluster, each with its only replica on one node: whichever
        // node dies leaves one of them without a leader, which must not stop this service's writes.
        for (let node = 1; node <= kafka.nodes; node++) await kafka.createTopic(uniqueTopic(`bystander-${node}`), {}, [node]);
        await nextAcknowledged('the start', started);
        await kafka.fullyReplicated(topic);

        // The partition leader, kill -9, found from metadata each time; restarted, and back in sync before the next.
        const resumed: number[] = [];
        const leaderKillsFrom = Date.now();
        for (let kill = 0; kill < LEADER_KILLS; kill++) {
          const { leader } = await kafka.partition(topic);
          const killedAt = Date.now();
          await kafka.kill(leader);
          resumed.push(await nextAcknowledged(`kill -9 of leader node ${leader}`, killedAt));
          await kafka.start();
          await kafka.fullyReplicated(topic);
        }
        report.push(
          `time from a leader's kill -9 to the next 201: median ${median(resumed)} ms, max ${Math.max(...resumed)} ms over ${resumed.length} (${resumed.join(', ')})`,
        );
        await sound(`${LEADER_KILLS} leader kills`, leaderKillsFrom);

        // Two of three dead: below min.insync.replicas nothing can be acknowledged, so every write is a 503.
        const twoDownFrom = Date.now();
        const { leader } = await kafka.partition(topic);
        const other = [1, 2, 3].find((node) => node !== leader)!;
        await Promise.all([kafka.kill(leader), kafka.kill(other)]);
        const deadAt = Date.now();
        await until(
          '20 answers while two nodes are down',
          () => load.outcomes.filter((outcome) => outcome.startedAt >= deadAt).length >= 20,
        );
        const restartAt = Date.now();
        const whileDown = load.outcomes.filter((outcome) => outcome.startedAt >= deadAt && outcome.startedAt + outcome.ms <= restartAt);
        expect(whileDown.filter((outcome) => outcome.status !== 503)).toEqual([]);
        await kafka.start();
        const twoDownResume = await nextAcknowledged('two nodes restarted', restartAt);
        await kafka.fullyReplicated(topic);
        report.push(
          `two of three killed: ${whileDown.length} answers while down, all 503; the next 201 ${twoDownResume} ms after the restart began`,
        );
        await sound('two of three nodes killed and restarted', twoDownFrom);

        // The whole cluster stopped (SIGTERM) and started again.
        const wholeFrom = Date.now();
        await kafka.stop();
        await until(
          'answers while the cluster is down',
          () => load.outcomes.filter((outcome) => outcome.startedAt >= wholeFrom + 1000).length >= 5,
        );
        const wholeRestartAt = Date.now();
        await kafka.start();
        const wholeResume = await nextAcknowledged('the whole cluster restarted', wholeRestartAt);
        await kafka.fullyReplicated(topic);
        report.push(`whole cluster stopped and started: the next 201 ${wholeResume} ms after the start began`);
        await sound('the whole cluster stopped and started', wholeFrom);

        // One node's disk runs full: the node fails its log dir and leaves; the other two go on.
        if (diskMounted) {
          const fullFrom = Date.now();
          const dir = kafka.dataDir(STARVED_NODE);
          const { bavail, bsize } = statfsSync(dir);
          execFileSync('fallocate', ['-l', String(Math.max(0, bavail * bsize - 256 * 1024)), `${dir}/filler`]);
          await until(`node ${STARVED_NODE} to fail on its full disk`, () => !kafka.running(STARVED_NODE), 120_000);
          const failedAt = Date.now();
          const duringFull = await nextAcknowledged(`node ${STARVED_NODE} failed on a full disk`, failedAt);
          await rm(`${dir}/filler`);
          await kafka.start();
          await kafka.fullyReplicated(topic);
          report.push(
            `node ${STARVED_NODE}'s disk full: it stopped ${failedAt - fullFrom} ms after the disk filled; the next 201 ${duringFull} ms later`,
          );
          await sound('a full disk on one node', fullFrom);
        } else {
          report.push('full disk: skipped (cannot mount a tmpfs here)');
        }

        await load.stop();
        await sound('the whole run', started);
        console.log(
          `[replicated] ${report.join('; ')}. ${load.acknowledged.length} acknowledged in ${Math.round((Date.now() - started) / 1000)} s, audit ok`,
        );
      } catch (error) {
        // Kept for whoever reads a failed run: the instances' output, each node's broker log, and how
        // the cluster and a fresh client see the partition now.
        const dir = mkdtempSync(join(tmpdir(), 'replicated-failure-'));
        service.instances.forEach((instance, slot) => writeFileSync(join(dir, `instance-${slot}.log`), instance.output()));
        for (let node = 1; node <= kafka.nodes; node++)
          cpSync(join(kafka.dataDir(node), 'broker.log'), join(dir, `broker-${node}.log`), { force: true });
        console.error(
          [
            `failed run kept in ${dir}; load so far ${JSON.stringify(load.tally())}; ${report.join('; ')}`,
            `each node on the partition: ${(await kafka.partitionByNode(topic)).join(' | ')}`,
            `a fresh idempotent producer: ${await kafka.tryProduce(topic)}`,
            `a fresh plain producer: ${await kafka.tryProduce(topic, false)}`,
          ].join('\n'),
        );
        throw error;
      } finally {
        await load.stop();
        await service.stop();
      }
    },
    LEADER_KILLS * 60_000 + 600_000,
  );
});
