import { Admin, Consumer, type GroupPartitionsAssigner } from '@platformatic/kafka';
import { chooseWriter, type Candidate, type Role } from '../../../src/cluster/election.js';

/** What both clients' elections are given here: the group, and what to tell of each join. */
export interface ElectionOptions {
  readonly groupId: string;
  readonly topic: string;
  readonly sessionTimeoutMs: number;
  readonly candidate: () => Candidate;
  readonly onRole: (role: Role, generation: number | undefined) => void;
  readonly onLost: (error: unknown) => void;
}

const ASSIGNER = 'certificates-writer';

function candidateOf(userData: Buffer | string | undefined | null): Candidate | undefined {
  try {
    if (userData === undefined || userData === null || userData.length === 0) return undefined;
    return JSON.parse(userData.toString()) as Candidate;
  } catch {
    return undefined;
  }
}

/**
 * src/cluster/election.ts's WriterElection on @platformatic/kafka: the same group, the same assigner
 * name and choice (chooseWriter), the candidate as JSON in the member metadata's userData, re-made
 * at every join (protocolsMetadata). The member never consumes: it tracks the topic so that its
 * subscription names it, joins, and heartbeats; each completed join emits `consumer:group:join`
 * with this member's assignment.
 */
export class PlatformaticElection {
  private readonly consumer: Consumer;
  private admin: Admin | undefined;
  private generationId: number | undefined;

  constructor(
    private readonly brokers: readonly string[],
    private readonly options: ElectionOptions,
  ) {
    const { groupId, topic, sessionTimeoutMs, candidate } = options;
    const assigner: GroupPartitionsAssigner = (_current, members) => {
      const writer = chooseWriter(
        [...members.values()].map((member) => ({ memberId: member.memberId, candidate: candidateOf(member.metadata) })),
      );
      return [...members.keys()].map((memberId) => ({
        memberId,
        assignments: new Map(memberId === writer ? [[topic, { topic, partitions: [0] }]] : []),
      }));
    };
    this.consumer = new Consumer({
      clientId: 'certificates-election',
      bootstrapBrokers: [...brokers],
      groupId,
      sessionTimeout: sessionTimeoutMs,
      rebalanceTimeout: sessionTimeoutMs + 4000,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeoutMs / 12)),
      protocols: [{ name: ASSIGNER, version: 1 }],
      protocolsMetadata: () => Buffer.from(JSON.stringify(candidate())),
      partitionAssigner: assigner,
      autocommit: false,
      retries: 10,
      retryDelay: 100,
    });
    this.consumer.on('consumer:group:join', ({ assignments, generationId }) => {
      this.generationId = generationId;
      const writer = (assignments ?? []).some((assignment) => assignment.topic === topic && assignment.partitions.includes(0));
      this.options.onRole(writer ? 'writer' : 'follower', generationId);
    });
    this.consumer.on('error', (error: unknown) => this.options.onLost(error));
  }

  get generation(): number | undefined {
    return this.generationId;
  }

  async start(): Promise<void> {
    this.consumer.topics.track(this.options.topic);
    await this.consumer.joinGroup();
  }

  /** Leaves the group at once (LeaveGroup), so the others elect a writer without waiting for the session to expire. */
  async stop(): Promise<void> {
    await Promise.all([this.consumer.close(), this.admin?.close()]);
  }

  /** The writer's URL as the group describes it now; undefined while no member holds the partition. */
  async writerUrl(): Promise<string | undefined> {
    return describeWriter(
      (this.admin ??= new Admin({ clientId: 'certificates-election-admin', bootstrapBrokers: [...this.brokers] })),
      this.options.groupId,
      this.options.topic,
    );
  }
}

/** What DescribeGroups says: the URL in the metadata of the member assigned partition 0, read from outside the group. */
export async function describeWriter(admin: Admin, groupId: string, topic: string): Promise<string | undefined> {
  const groups = await admin.describeGroups({ groups: [groupId] });
  for (const member of groups.get(groupId)?.members.values() ?? []) {
    if (member.assignments?.get(topic)?.partitions.includes(0)) return candidateOf(member.metadata?.metadata)?.url;
  }
  return undefined;
}
