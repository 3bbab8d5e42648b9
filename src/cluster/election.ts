import { AssignerProtocol, type Admin, type Assigner, type Consumer, type GroupMember, type Kafka } from 'kafkajs';
import type { ClusterAuth } from './cluster-auth.js';
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
  /** The partition is held by a member whose metadata does not prove it belongs: told once per such member. */
  readonly onUnprovenWriter?: (member: { readonly memberId: string; readonly clientId: string; readonly clientHost: string }) => void;
}

const ASSIGNER = 'certificates-writer';

/** What signs and proves the members' metadata: the cluster secret (src/cluster/cluster-auth.ts). */
export type MemberProof = Pick<ClusterAuth, 'signMember' | 'memberProven'>;

/** A member's userData at most: a candidate is ~150 bytes, its proof 43. */
const MAX_USER_DATA_BYTES = 2048;
/** An advertised URL at most, in characters. */
const MAX_URL_LENGTH = 512;

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** A candidate as a member told it, checked field by field: anything else is not a candidate. */
export function validCandidate(value: unknown): Candidate | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { url, writingSince, end } = value as Record<string, unknown>;
  if (typeof url !== 'string' || url.length > MAX_URL_LENGTH || !URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.username !== '' || parsed.password !== '') return undefined;
  if ((writingSince !== undefined && !isCount(writingSince)) || !isCount(end)) return undefined;
  return { url, writingSince, end };
}

/** The userData a member joins with: its candidate, and the proof that a member of the cluster says it. */
export function memberUserData(group: string, candidate: Candidate, proof: MemberProof): Buffer {
  const text = JSON.stringify(candidate);
  return Buffer.from(JSON.stringify({ candidate: text, proof: proof.signMember(group, text) }));
}

/**
 * The candidate a member's metadata carries, only if the cluster's secret signed it and it is well
 * formed; undefined for anything else, so a member without the secret is never chosen nor believed.
 */
export function provenCandidate(group: string, metadata: Buffer, proof: MemberProof): Candidate | undefined {
  try {
    const userData = AssignerProtocol.MemberMetadata.decode(metadata)?.userData;
    if (userData === undefined || userData.length === 0 || userData.length > MAX_USER_DATA_BYTES) return undefined;
    const signed = JSON.parse(userData.toString('utf8')) as { candidate?: unknown; proof?: unknown } | null;
    const text = signed?.candidate;
    if (typeof text !== 'string' || !proof.memberProven(group, text, signed?.proof)) return undefined;
    return validCandidate(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * Orders candidates for the writer's seat: a sitting writer first (the most recent one, if a paused
 * writer came back believing it still writes), then the most caught-up, then by member id so every
 * leader decides alike. Only liveness depends on this choice: safety is the log's rule. A member
 * without a proven candidate is never chosen; undefined when no member has one.
 */
export function chooseWriter(
  members: ReadonlyArray<{ readonly memberId: string; readonly candidate: Candidate | undefined }>,
): string | undefined {
  const rank = members
    .flatMap(({ memberId, candidate }) => (candidate === undefined ? [] : [{ memberId, candidate }]))
    .sort((a, b) => {
      const since = (b.candidate.writingSince ?? -1) - (a.candidate.writingSince ?? -1);
      if (since !== 0) return since;
      const end = b.candidate.end - a.candidate.end;
      return end !== 0 ? end : a.memberId < b.memberId ? -1 : 1;
    });
  return rank[0]?.memberId;
}

/**
 * Elects one writer through a Kafka consumer group on the certificates topic: the member assigned
 * its only partition writes. A custom assigner (run by the group's leader) makes the choice and
 * every member's metadata carries its URL, signed with the cluster secret, so any member can find the
 * writer by describing the group and believe only members.
 * The consumer never reads: the writer pauses the partition it is given, and the group is used only
 * for membership, heartbeats and fencing by generation.
 */
export class WriterElection {
  private consumer: Consumer | undefined;
  private admin: Promise<Admin> | undefined;
  private generation: number | undefined;
  /** The last unproven partition holder told of, so that it is told once. */
  private unprovenTold: string | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly settings: ClusterSettings,
    private readonly callbacks: ElectionCallbacks,
    private readonly proof: MemberProof,
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
        if (!assignment?.assignment[topic]?.includes(0)) continue;
        // The partition's holder is the writer only if it proves it is a member: a follower never forwards elsewhere.
        const url = provenCandidate(groupId, member.memberMetadata, this.proof)?.url;
        if (url === undefined && member.memberId !== this.unprovenTold) {
          this.unprovenTold = member.memberId;
          this.callbacks.onUnprovenWriter?.({ memberId: member.memberId, clientId: member.clientId, clientHost: member.clientHost });
        }
        return url;
      }
      return undefined;
    } catch (error) {
      this.admin = undefined;
      throw error;
    }
  }

  private assigner(): Assigner {
    const { topic, proof } = this;
    const group = this.settings.writerGroup;
    const { candidate } = this.callbacks;
    return {
      name: ASSIGNER,
      version: 1,
      protocol: ({ topics }) => ({
        name: ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: memberUserData(group, candidate(), proof) }),
      }),
      assign: async ({ members }: { members: GroupMember[] }) => {
        const writer = chooseWriter(
          members.map((member) => ({ memberId: member.memberId, candidate: provenCandidate(group, member.memberMetadata, proof) })),
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
