import { describe, expect, it } from 'vitest';
import { parseShareClasses } from '../../src/config.js';
import { auditTopic } from '../support/audit.js';
import { broker, uniqueTopic } from '../support/broker.js';
import { startChild, type Child } from '../support/child-process.js';
import { acknowledgedTwice, Cluster, instanceStatus } from '../support/cluster.js';
import { issue } from '../support/http.js';
import { Load, sleep, until } from '../support/load.js';
import { freePort, startService, type RunningService } from '../support/service.js';
import { ledgerOn } from '../support/settings.js';

const SHARE_CLASSES = 'CS=1000000000,PS=1000000000';

interface Seen {
  readonly received: number;
  readonly paths: string[];
  readonly joins: Array<{ isLeader: boolean; holdsPartition: boolean }>;
}

/** A rogue member (test/support/rogue-member.ts) in the topic's election group: Kafka access, no cluster secret. */
async function startRogue(topic: string, format: 'plain' | 'forged'): Promise<{ child: Child; seen: () => Promise<Seen> }> {
  const port = await freePort();
  const child = await startChild({
    name: `rogue-${format}`,
    args: ['--import', 'tsx', 'test/support/rogue-member.ts'],
    port,
    env: {
      ROGUE_BROKERS: broker().brokers.join(','),
      ROGUE_TOPIC: topic,
      ROGUE_GROUP: `${topic}.writer`,
      ROGUE_PORT: String(port),
      ROGUE_FORMAT: format,
    },
  });
  return { child, seen: async () => (await (await fetch(`${child.url}/rogue`)).json()) as Seen };
}

describe('a rogue member of the election group (Kafka credentials, no cluster secret)', () => {
  it('receives no forwarded request and answers no client while three instances issue under load; the audit is clean', async () => {
    const topic = uniqueTopic('rogue');
    const cluster = await Cluster.start(3, { KAFKA_TOPIC: topic, SHARE_CLASSES });
    // Round-robin over the instances, but for one being restarted: clients are sent where an instance listens.
    let restarting = -1;
    let next = 0;
    const up = (): string => {
      const urls = cluster.urls.filter((_, slot) => slot !== restarting);
      return urls[next++ % urls.length]!;
    };
    const load = new Load(up, { concurrency: 20, classes: ['CS', 'PS'] }).start();
    const rogues: Array<Awaited<ReturnType<typeof startRogue>>> = [];
    try {
      await until('the load to issue', () => load.acknowledged.length > 200, 30_000);
      const joinedAt = Date.now();
      // One rogue as the service's members once spoke (unsigned), one as they speak now (with a forged proof).
      rogues.push(await startRogue(topic, 'plain'), await startRogue(topic, 'forged'));
      await until(
        'both rogues to be in the group',
        async () => (await Promise.all(rogues.map((rogue) => rogue.seen()))).every((seen) => seen.joins.length > 0),
        30_000,
      );
      // A rebalance with the rogues in the group: a follower leaves and comes back, and the leader assigns again.
      restarting = ((await cluster.settled()) + 1) % 3;
      const restartedFrom = Date.now();
      await cluster.restart(restarting);
      restarting = -1;
      const restartedUntil = Date.now();
      await cluster.settled();
      await sleep(10_000);
      await load.stop();

      const seen = await Promise.all(rogues.map((rogue) => rogue.seen()));
      const after = load.tally(joinedAt);
      const retryable = load.outcomes.filter((outcome) => outcome.startedAt >= joinedAt && outcome.status === 503);
      console.log(
        `[rogue] while two rogues sat in the group: ${JSON.stringify(after)}; rogues received ${seen.map((s) => s.received).join(' and ')} requests; ` +
          `their joins: ${JSON.stringify(seen.map((s) => s.joins))}; 503s: ${JSON.stringify([...new Set(retryable.map((outcome) => outcome.code))])}`,
      );
      // A legitimate instance led the group throughout, and its assignments never gave a rogue the writer's seat.
      expect(seen.flatMap((s) => s.joins).filter((join) => join.isLeader || join.holdsPartition)).toEqual([]);
      expect(seen.map((s) => ({ received: s.received, paths: s.paths }))).toEqual([
        { received: 0, paths: [] },
        { received: 0, paths: [] },
      ]);
      // No client was answered by a rogue: its certificates are numbered from 900,000,001.
      expect(load.acknowledged.filter(({ id }) => Number(id.split('-')[1]) > 900_000_000)).toEqual([]);
      // A request already on its way to the follower being stopped may meet a closing connection: the
      // client's to retry, and nothing a rogue did. Any other failure, at any other time, is not.
      const elsewhen = load.outcomes.filter(
        (outcome) => outcome.failure !== undefined && (outcome.startedAt < restartedFrom - 1000 || outcome.startedAt > restartedUntil),
      );
      expect(elsewhen).toEqual([]);
      expect(Object.keys(load.tally()).filter((label) => label !== '201' && label !== 'failed' && !label.startsWith('503 '))).toEqual([]);
      expect(load.tally(joinedAt)['201']).toBeGreaterThan(500);
      expect(acknowledgedTwice(load.acknowledged)).toEqual([]);
      const report = await auditTopic(topic, parseShareClasses(SHARE_CLASSES), load.acknowledged);
      expect(report.violations).toEqual([]);
      expect(report.acknowledgedChecked).toBe(load.acknowledged.length);
    } finally {
      await load.stop();
      await Promise.all(rogues.map((rogue) => rogue.child.stop('SIGKILL')));
      await cluster.stop();
    }
  }, 180_000);

  it('as the group’s leader giving itself the writer’s seat: followers forward nothing to it and answer 503 no_writer', async () => {
    const topic = uniqueTopic('rogue-leader');
    // The topic first, so the rogue can join the group before any instance: the first member leads it.
    const ledger = ledgerOn(topic, 'test-rogue-leader');
    await ledger.connect();
    await ledger.disconnect();
    const rogue = await startRogue(topic, 'forged');
    const instances: RunningService[] = [];
    try {
      await until(
        'the rogue to lead the group',
        async () => (await rogue.seen()).joins.some((join) => join.isLeader && join.holdsPartition),
        30_000,
      );
      for (let slot = 0; slot < 2; slot++)
        instances.push(await startService({ KAFKA_TOPIC: topic, SHARE_CLASSES, WRITER_WAIT_MS: '1500' }));
      await until(
        'both instances to follow',
        async () =>
          (await Promise.all(instances.map((instance) => instanceStatus(instance.url)))).every((status) => status.role === 'follower'),
        30_000,
      );
      const replies = await Promise.all(instances.flatMap((instance) => [issue(instance.url, 'CS', 1), issue(instance.url, 'PS', 2)]));
      expect(replies.map((reply) => [reply.status, (reply.body as { error?: { code?: string } }).error?.code])).toEqual(
        Array(4).fill([503, 'no_writer']),
      );
      const seen = await rogue.seen();
      expect(seen.joins.at(-1)).toMatchObject({ isLeader: true, holdsPartition: true });
      expect(seen.received).toBe(0);
      // Operators are told, once, in the followers' logs.
      for (const instance of instances) {
        expect(instance.output().match(/does not prove it belongs/g)).toHaveLength(1);
      }
      // The followers name no writer: the member holding the partition proves nothing.
      for (const instance of instances)
        expect(await instanceStatus(instance.url)).toMatchObject({ ready: false, role: 'follower', writerUrl: undefined });
    } finally {
      await rogue.child.stop('SIGKILL');
      await Promise.all(instances.map((instance) => instance.stop('SIGKILL')));
    }
  }, 120_000);
});
