import { AssignerProtocol, type Admin, type Assigner, type Consumer, type GroupMember, type Kafka } from 'kafkajs';
import type { ClusterSettings } from './settings.js';

/** What each instance tells the group about itself when it joins. */
export interface Candidate {
  /** Where other instances reach it. */
  readonly url: string;
  /** When it became the writer (ms since the epoch), if it believes it still is: the group keeps a sitting writer. */
  readonly writingSince: number | undefined;
  /** How far it has read the log: the most caught-up instance takes over fastest. */
  readonly end: number;
}

export type Role = 'writer' | 'follower';

export interface ElectionCallbacks {
  readonly candidate: () => Candidate;
  /** After every rebalance: the role this member was assigned. */
  readonly onRole: (role: Role) => void;
  /** The group's generation, each time it moves (told by the first heartbeat of a new generation). */
  readonly onGeneration: (generation: number) => void;
  /** The group membership failed; kafkajs rejoins by itself, and the next assignment gives the role. */
  readonly onLost: (error: unknown) => void;
}

const ASSIGNER = 'certificates-writer';

function candidateOf(metadata: Buffer): Candidate | undefined {
  try {
    const userData = AssignerProtocol.MemberMetadata.decode(metadata)?.userData;
    return userData === undefined || userData.length === 0 ? undefined : (JSON.parse(userData.toString('utf8')) as Candidate);
  } catch {
    return undefined;
  }
}

/**
 * Orders candidates for the writer's seat: a sitting writer first (the most recent one, if a paused
 * writer came back believing it still writes), then the most caught-up, then by member id so every
 * leader decides alike. Only liveness depends on this choice: safety is the log's rule.
 */
export function chooseWriter(members: ReadonlyArray<{ readonly memberId: string; readonly candidate: Candidate | undefined }>): string {
  const rank = [...members].sort((a, b) => {
    const since = (b.candidate?.writingSince ?? -1) - (a.candidate?.writingSince ?? -1);
    if (since !== 0) return since;
    const end = (b.candidate?.end ?? -1) - (a.candidate?.end ?? -1);
    return end !== 0 ? end : a.memberId < b.memberId ? -1 : 1;
  });
  return rank[0]!.memberId;
}

/**
 * Elects one writer through a Kafka consumer group on the certificates topic: the member assigned
 * its only partition writes. A custom assigner (run by the group's leader) makes the choice and
 * every member's metadata carries its URL, so any member can find the writer by describing the group.
 * The consumer never reads: the writer pauses the partition it is given, and the group is used only
 * for membership, heartbeats and fencing by generation.
 */
export class WriterElection {
  private consumer: Consumer | undefined;
  private admin: Promise<Admin> | undefined;
  private generation: number | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly settings: ClusterSettings,
    private readonly callbacks: ElectionCallbacks,
  ) {}

  async start(): Promise<void> {
    const { topic } = this;
    // A writer that stops heartbeating is replaced after this long (Kafka's floor is 6000 by default).
    const sessionTimeoutMs = this.settings.writerSessionTimeoutMs;
    const consumer = this.kafka.consumer({
      groupId: this.settings.writerGroup,
      sessionTimeout: sessionTimeoutMs,
      rebalanceTimeout: sessionTimeoutMs + 4000,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeoutMs / 12)),
      // Members without a partition heartbeat once per empty fetch wait: keep it short.
      maxWaitTimeInMs: Math.max(100, Math.floor(sessionTimeoutMs / 12)),
      allowAutoTopicCreation: false,
      partitionAssigners: [() => this.assigner()],
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.consumer = consumer;
    // kafkajs tells the generation only with heartbeats, the first ~1/12 of a session after a join.
    consumer.on(consumer.events.HEARTBEAT, ({ payload }) => {
      if (payload.groupGenerationId === this.generation) return;
      this.generation = payload.groupGenerationId;
      this.callbacks.onGeneration(payload.groupGenerationId);
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const writer = (payload.memberAssignment[topic] ?? []).includes(0);
      if (writer) consumer.pause([{ topic }]);
      this.callbacks.onRole(writer ? 'writer' : 'follower');
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => this.callbacks.onLost(payload.error));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
  }

  /** Leaves the group at once, so the others elect a writer without waiting for the session to expire. */
  async stop(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await Promise.all([this.consumer?.disconnect(), admin?.then((connected) => connected.disconnect()).catch(() => undefined)]);
  }

  /** The writer's URL as the group describes it now; undefined while no member holds the partition. */
  async writerUrl(): Promise<string | undefined> {
    const { topic } = this;
    const groupId = this.settings.writerGroup;
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    let admin: Admin;
    try {
      admin = await this.admin;
      const { groups } = await admin.describeGroups([groupId]);
      for (const member of groups[0]?.members ?? []) {
        if (member.memberAssignment.length === 0) continue;
        const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        if (assignment?.assignment[topic]?.includes(0)) return candidateOf(member.memberMetadata)?.url;
      }
      return undefined;
    } catch (error) {
      this.admin = undefined;
      throw error;
    }
  }

  private assigner(): Assigner {
    const { topic } = this;
    const { candidate } = this.callbacks;
    return {
      name: ASSIGNER,
      version: 1,
      protocol: ({ topics }) => ({
        name: ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(JSON.stringify(candidate())) }),
      }),
      assign: async ({ members }: { members: GroupMember[] }) => {
        const writer = chooseWriter(
          members.map((member) => ({ memberId: member.memberId, candidate: candidateOf(member.memberMetadata) })),
        );
        return members.map(({ memberId }) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment: memberId === writer ? { [topic]: [0] } : {},
            userData: Buffer.alloc(0),
          }),
        }));
      },
    };
  }
}
