import { Child, epochMs, mid, sleep } from './common.js';

const MEMBER = './election-member.ts';
export const ELECTION_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type ElectionClient = (typeof ELECTION_CLIENTS)[number];

const WAIT_MS = 40_000;

class Member {
  readonly child: Child;
  constructor(
    readonly client: ElectionClient,
    readonly url: string,
    brokers: string,
    topic: string,
    groupId: string,
  ) {
    this.child = new Child(MEMBER, [client, brokers, topic, groupId, url]);
  }

  /** The next `role` message saying `role` (one already received counts): the epoch ms it was learnt at. */
  async role(role: 'writer' | 'follower', timeoutMs = WAIT_MS): Promise<number> {
    const message = await this.child.next((m) => m.type === 'role' && m.role === role, timeoutMs, `${this.client} ${this.url} as ${role}`);
    return Number(message.at);
  }

  async cpuUs(): Promise<number> {
    return Number((await this.child.ask({ type: 'cpu' }, 'cpu')).us);
  }

  async describe(): Promise<string | undefined> {
    return (await this.child.ask({ type: 'describe' }, 'describe')).url as string | undefined;
  }

  async close(): Promise<void> {
    this.child.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill(), 15_000);
    await this.child.exited;
    clearTimeout(timer);
  }
}

/** Polls DescribeGroups (through `asker`) until it names `url` as the writer: ms from `since`. */
async function describedAs(asker: Member, url: string, since: number): Promise<number> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if ((await asker.describe()) === url) return epochMs() - since;
    if (Date.now() > deadline) throw new Error(`DescribeGroups never named ${url} the writer`);
    await sleep(50);
  }
}

export interface ElectionRound {
  readonly client: ElectionClient;
  /** DescribeGroups from another member named the first writer's URL (userData in member metadata, read back). */
  readonly describeNamesWriter: boolean;
  /** The sitting writer was told its assignment again after the second member's join made the group rebalance. */
  readonly notifiedAfterRebalance: boolean;
  readonly idleWriterCpuMsPerMin: number;
  readonly idleFollowerCpuMsPerMin: number;
  readonly closeToAssignedMs: number;
  readonly closeToDescribedMs: number;
  readonly killToAssignedMs: number;
}

interface Pair {
  readonly client: ElectionClient;
  readonly writer: Member;
  readonly follower: Member;
  readonly groupId: string;
  readonly describeNamesWriter: boolean;
  readonly notifiedAfterRebalance: boolean;
}

async function formPair(client: ElectionClient, brokers: string, topic: string, groupId: string): Promise<Pair> {
  const writer = new Member(client, 'http://a.example:8080', brokers, topic, groupId);
  await writer.role('writer');
  const follower = new Member(client, 'http://b.example:8080', brokers, topic, groupId);
  await follower.role('follower');
  const notifiedAfterRebalance = await writer.role('writer', 15_000).then(
    () => true,
    () => false,
  );
  const describeNamesWriter = (await describedAs(follower, writer.url, epochMs()).catch(() => -1)) >= 0;
  return { client, writer, follower, groupId, describeNamesWriter, notifiedAfterRebalance };
}

async function failovers(
  pair: Pair,
  brokers: string,
  topic: string,
): Promise<Pick<ElectionRound, 'closeToAssignedMs' | 'closeToDescribedMs' | 'killToAssignedMs'>> {
  const { writer, follower, client, groupId } = pair;
  // A writer that leaves (LeaveGroup on close).
  const closed = epochMs();
  const closing = writer.close();
  const closeToAssignedMs = (await follower.role('writer')) - closed;
  await closing;
  const closeToDescribedMs = await describedAs(follower, follower.url, closed);
  // A writer that dies: its session has to expire (6000 ms).
  const third = new Member(client, 'http://c.example:8080', brokers, topic, groupId);
  await third.role('follower');
  await follower.role('writer', 15_000).catch(() => undefined);
  await sleep(1000);
  const killed = epochMs();
  follower.child.kill('SIGKILL');
  const killToAssignedMs = (await third.role('writer')) - killed;
  await third.close();
  return { closeToAssignedMs, closeToDescribedMs, killToAssignedMs };
}

/**
 * Per round: both clients' groups of two members formed (kafkajs as src/cluster/election.ts uses
 * it, @platformatic/kafka as bench/spike/platformatic-election.ts), their idle CPU measured over the
 * same window, then, one client after the other, the writer closed and the next writer killed.
 */
export async function electionWorkload(
  brokers: string,
  topic: string,
  rounds: number,
  idleSeconds: number,
): Promise<{
  rounds: ElectionRound[];
  summary: Array<
    Omit<ElectionRound, 'describeNamesWriter' | 'notifiedAfterRebalance'> & { describeNamesWriter: string; notifiedAfterRebalance: string }
  >;
  groups: string[];
}> {
  const results: ElectionRound[] = [];
  const groups: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const pairs: Pair[] = [];
    for (const client of ELECTION_CLIENTS) {
      const groupId = `spike-election-${client}-${Date.now()}-${round}`;
      groups.push(groupId);
      pairs.push(await formPair(client, brokers, topic, groupId));
    }
    await sleep(2000);
    const before = await Promise.all(pairs.map(async (pair) => [await pair.writer.cpuUs(), await pair.follower.cpuUs()]));
    const started = performance.now();
    await sleep(idleSeconds * 1000);
    const after = await Promise.all(pairs.map(async (pair) => [await pair.writer.cpuUs(), await pair.follower.cpuUs()]));
    const perMinute = (us: number): number => Math.round((us / 1000) * (60_000 / (performance.now() - started)) * 10) / 10;
    for (const [index, pair] of pairs.entries()) {
      const result: ElectionRound = {
        client: pair.client,
        describeNamesWriter: pair.describeNamesWriter,
        notifiedAfterRebalance: pair.notifiedAfterRebalance,
        idleWriterCpuMsPerMin: perMinute(after[index]![0]! - before[index]![0]!),
        idleFollowerCpuMsPerMin: perMinute(after[index]![1]! - before[index]![1]!),
        ...(await failovers(pair, brokers, topic)),
      };
      console.log(JSON.stringify({ workload: 'election', round, ...result }));
      results.push(result);
    }
  }
  const summary = ELECTION_CLIENTS.map((client) => {
    const mine = results.filter((result) => result.client === client);
    const all = (test: (result: ElectionRound) => boolean): string => `${mine.filter(test).length}/${mine.length}`;
    return {
      client,
      describeNamesWriter: all((result) => result.describeNamesWriter),
      notifiedAfterRebalance: all((result) => result.notifiedAfterRebalance),
      idleWriterCpuMsPerMin: mid(mine.map((result) => result.idleWriterCpuMsPerMin)),
      idleFollowerCpuMsPerMin: mid(mine.map((result) => result.idleFollowerCpuMsPerMin)),
      closeToAssignedMs: Math.round(mid(mine.map((result) => result.closeToAssignedMs))),
      closeToDescribedMs: Math.round(mid(mine.map((result) => result.closeToDescribedMs))),
      killToAssignedMs: Math.round(mid(mine.map((result) => result.killToAssignedMs))),
    };
  });
  return { rounds: results, summary, groups };
}
