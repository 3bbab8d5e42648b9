import { createServer } from 'node:http';
import { AssignerProtocol, Kafka, logLevel, type Assigner } from 'kafkajs';

/**
 * A process that is not a member of the cluster but can reach Kafka: it joins the writer election's
 * group with the service's protocol and assigner name (copied from src/cluster/election.ts),
 * advertises its own HTTP URL as the most senior writer there could be, gives itself the partition
 * whenever it is the group's leader, and answers every call with fake certificates, counting them.
 *
 *   node --import tsx test/support/rogue-member.ts   (ROGUE_BROKERS, ROGUE_TOPIC, ROGUE_GROUP, ROGUE_PORT, ROGUE_FORMAT)
 *
 * ROGUE_FORMAT `plain` tells its candidate as the service once did (unsigned JSON); `forged` wraps it
 * as the service now does, with a made-up proof. GET /rogue answers what it has seen.
 */
const { ROGUE_BROKERS, ROGUE_TOPIC, ROGUE_GROUP, ROGUE_PORT, ROGUE_FORMAT } = process.env;
if (!ROGUE_BROKERS || !ROGUE_TOPIC || !ROGUE_GROUP || !ROGUE_PORT)
  throw new Error('ROGUE_BROKERS, ROGUE_TOPIC, ROGUE_GROUP and ROGUE_PORT are needed');
const topic = ROGUE_TOPIC;
const url = `http://127.0.0.1:${ROGUE_PORT}`;
const ASSIGNER = 'certificates-writer';

const seen = { received: 0, paths: [] as string[], joins: [] as Array<{ isLeader: boolean; holdsPartition: boolean }> };
let fakeNumber = 900_000_000;

const server = createServer((request, response) => {
  if (request.method === 'GET' && (request.url === '/' || request.url === '/rogue')) {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(seen));
    return;
  }
  seen.received += 1;
  if (seen.paths.length < 20) seen.paths.push(`${request.method} ${request.url}`);
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let requests: Array<{ name?: string; amount?: number; class?: string }> = [];
    try {
      requests = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { requests?: typeof requests }).requests ?? [];
    } catch {
      // Answered with fakes all the same.
    }
    const results = requests.map((item) => {
      const number = ++fakeNumber;
      return {
        certificate: {
          id: `${item.class}-${number}`,
          class: item.class,
          number,
          name: item.name,
          amount: item.amount,
          issuedAt: new Date().toISOString(),
          sharesIssued: 0,
        },
      };
    });
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ results }));
  });
});
server.listen(Number(ROGUE_PORT), '127.0.0.1');

/** The most senior, most caught-up writer there could be. */
function userData(): Buffer {
  const candidate = JSON.stringify({ url, writingSince: Date.now() + 1_000_000_000, end: Number.MAX_SAFE_INTEGER });
  if (ROGUE_FORMAT === 'forged') return Buffer.from(JSON.stringify({ candidate, proof: 'A'.repeat(43) }));
  return Buffer.from(candidate);
}

/** Its own metadata: its URL, closed by a quote (escaped, when forged inside a string). */
function isMine(metadata: Buffer): boolean {
  const text = AssignerProtocol.MemberMetadata.decode(metadata)?.userData.toString('utf8') ?? '';
  return text.includes(`${url}"`) || text.includes(`${url}\\"`);
}

const assigner: Assigner = {
  name: ASSIGNER,
  version: 1,
  protocol: ({ topics }) => ({
    name: ASSIGNER,
    metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: userData() }),
  }),
  // As the group's leader, the partition is its own: the member whose metadata names its URL.
  assign: async ({ members }) =>
    members.map(({ memberId, memberMetadata }) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: isMine(memberMetadata) ? { [topic]: [0] } : {},
        userData: Buffer.alloc(0),
      }),
    })),
};

const kafka = new Kafka({ brokers: ROGUE_BROKERS.split(','), clientId: 'rogue', logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({
  groupId: ROGUE_GROUP,
  sessionTimeout: 6000,
  rebalanceTimeout: 10_000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 500,
  allowAutoTopicCreation: false,
  partitionAssigners: [() => assigner],
});
consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
  const holdsPartition = (payload.memberAssignment[topic] ?? []).includes(0);
  if (holdsPartition) consumer.pause([{ topic }]);
  seen.joins.push({ isLeader: payload.isLeader, holdsPartition });
});
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: false });
await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
process.once('SIGTERM', () => void consumer.disconnect().finally(() => process.exit(0)));
