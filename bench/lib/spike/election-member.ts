import { ClusterAuth } from '../../../src/cluster/cluster-auth.js';
import { WriterElection, type Role } from '../../../src/cluster/election.js';
import { createKafka } from '../../../src/log/kafka-config.js';
import { benchConnection } from '../kafka.js';
import { cpuUs, epochMs, listen, tell } from './common.js';
import { PlatformaticElection, type ElectionOptions } from './platformatic-election.js';

/**
 * One election candidate in a process of its own (so it can be killed, and its CPU is its own).
 *
 *   election-member.ts kafkajs|platformatic BROKERS TOPIC GROUP URL
 *
 * Tells the bench `role` (with the epoch ms it learnt it) after every join; answers `cpu` with its
 * CPU time so far and `describe` with the writer's URL as DescribeGroups has it; `close` leaves the
 * group and exits.
 */
const [client, brokers, topic, groupId, url] = process.argv.slice(2);
if (
  (client !== 'kafkajs' && client !== 'platformatic') ||
  brokers === undefined ||
  topic === undefined ||
  groupId === undefined ||
  url === undefined
) {
  throw new Error('usage: election-member.ts kafkajs|platformatic BROKERS TOPIC GROUP URL');
}
let writingSince: number | undefined;
const options: ElectionOptions = {
  groupId,
  topic,
  sessionTimeoutMs: 6000,
  candidate: () => ({ url, writingSince, end: 0 }),
  onRole: (role: Role, generation: number | undefined) => {
    writingSince = role === 'writer' ? (writingSince ?? Date.now()) : undefined;
    tell({ type: 'role', role, generation, at: epochMs() });
  },
  onLost: (error: unknown) => tell({ type: 'lost', error: String(error) }),
};

/** src/cluster/election.ts as the service runs it, telling its role with the generation its heartbeats last told. */
function kafkajsElection(): WriterElection {
  let generation: number | undefined;
  const settings = { advertisedUrl: url!, writerGroup: groupId!, writerSessionTimeoutMs: options.sessionTimeoutMs, writerWaitMs: 0 };
  return new WriterElection(
    createKafka(benchConnection(brokers!), 'spike-election'),
    topic!,
    settings,
    {
      candidate: options.candidate,
      onRole: (role) => options.onRole(role, generation),
      onGeneration: (moved) => (generation = moved),
      onLost: options.onLost,
    },
    // Every member of the spike signs alike: the election as the service runs it among members.
    new ClusterAuth(Buffer.from('the election spike: a fixture, not a secret')),
  );
}
const election = client === 'kafkajs' ? kafkajsElection() : new PlatformaticElection(brokers.split(','), options);

listen(async (message) => {
  if (message.type === 'cpu') tell({ type: 'cpu', us: cpuUs() });
  else if (message.type === 'describe') tell({ type: 'describe', url: await election.writerUrl() });
  else if (message.type === 'close') {
    await election.stop();
    process.exit(0);
  }
});
await election.start();
tell({ type: 'started', at: epochMs() });
