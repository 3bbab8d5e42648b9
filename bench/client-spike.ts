import { writeFileSync } from 'node:fs';
import { startEmbeddedBroker } from '../src/log/embedded-broker.js';
import { createKafka } from '../src/log/kafka-config.js';
import { benchConnection, benchTopic } from './lib/kafka.js';
import { ensureTopic } from '../src/log/topic.js';
import { describeMachine } from './lib/machine.js';
import { benchPlaces } from './lib/options.js';
import { table } from './lib/spike/common.js';
import { electionWorkload } from './lib/spike/election.js';
import { kafkajsClient, platformaticClient, produceWorkload, wireClient } from './lib/spike/produce.js';
import { READERS } from './lib/spike/readers.js';
import { populate, rangeWorkload, tailWorkload } from './lib/spike/tail.js';
import { wireProducer } from './lib/spike/wire-producer.js';

/**
 * The Kafka client spike on Node 24: the service's three Kafka paths, each with today's client and
 * with @platformatic/kafka, side by side on one broker, the clients taking turns in rounds (A, B,
 * C, A, B, C, ...) and every figure the median of the rounds. CPU is the measuring process's own
 * (the bench for produces; a child process per reader or election member for the rest), since the
 * machine is shared and wall-clock time is noisy.
 *
 *   1. produce: sequential acks=all produces of 1 and of 20 certificate records: src/log/wire,
 *      kafkajs's producer, @platformatic/kafka's Producer.
 *   2. tail: a follower following the topic while this process writes steadily; and a one-shot
 *      range read (start-up): kafkajs as src/log/reader.ts, @platformatic/kafka's Consumer stream,
 *      and its Consumer.fetch in a loop.
 *   3. election: src/cluster/election.ts on kafkajs against the same election on @platformatic/kafka.
 *
 *   npm run bench:client-spike     (Node 22.22+ / 24.6+: @platformatic/kafka needs it)
 *
 * Uses BENCH_KAFKA_BROKERS (or KAFKA_BROKERS) if set, else starts the embedded broker on
 * BENCH_KAFKA_PORT. Creates its own topics and deletes them at the end. Settings:
 * BENCH_SPIKE_ONLY (produce,tail,range,election), BENCH_SPIKE_ROUNDS (3), BENCH_SPIKE_PRODUCE_ROUNDS (5),
 * BENCH_SPIKE_SENDS (1000 per client per batch size per round), BENCH_SPIKE_TAIL_SECONDS (6),
 * BENCH_SPIKE_TAIL_RATE (5000 records/s), BENCH_SPIKE_TAIL_BATCH (10), BENCH_SPIKE_RANGE_RECORDS (200000),
 * BENCH_SPIKE_IDLE_SECONDS (20).
 */
const setting = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`Expected ${name} to be a positive number, got ${JSON.stringify(raw)}`);
  return value;
};
const ROUNDS = setting('BENCH_SPIKE_ROUNDS', 3);
const PRODUCE_ROUNDS = setting('BENCH_SPIKE_PRODUCE_ROUNDS', 5);
const SENDS = setting('BENCH_SPIKE_SENDS', 1000);
const TAIL_SECONDS = setting('BENCH_SPIKE_TAIL_SECONDS', 6);
const TAIL_RATE = setting('BENCH_SPIKE_TAIL_RATE', 5000);
const TAIL_BATCH = setting('BENCH_SPIKE_TAIL_BATCH', 10);
const RANGE_RECORDS = setting('BENCH_SPIKE_RANGE_RECORDS', 200_000);
const IDLE_SECONDS = setting('BENCH_SPIKE_IDLE_SECONDS', 20);
const ONLY = new Set((process.env.BENCH_SPIKE_ONLY ?? 'produce,tail,range,election').split(',').map((step) => step.trim()));

async function main(): Promise<void> {
  const places = benchPlaces(process.env);
  const brokers = places.kafkaBrokers ?? (process.env.KAFKA_BROKERS?.trim() || (await startEmbeddedBroker(places.kafkaPort)));
  const machine = await describeMachine();
  console.log(JSON.stringify({ machine, brokers }));
  const stamp = Date.now();
  const topics = {
    produce: `spike-produce-${stamp}`,
    tail: `spike-tail-${stamp}`,
    range: `spike-range-${stamp}`,
    election: `spike-election-${stamp}`,
  };
  const kafka = createKafka(benchConnection(brokers), 'spike');
  const admin = kafka.admin();
  await admin.connect();
  const groups: string[] = [];
  const sections: string[] = [
    `Node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, ${machine.java}, kernel ${machine.kernel}; broker ${brokers}`,
  ];
  try {
    for (const topic of Object.values(topics)) await ensureTopic(kafka, benchTopic(topic));

    if (ONLY.has('produce')) {
      const clients = [
        await wireClient(brokers, topics.produce),
        await kafkajsClient(kafka, topics.produce),
        await platformaticClient(brokers, topics.produce),
      ];
      try {
        const summary = await produceWorkload(clients, PRODUCE_ROUNDS, SENDS);
        sections.push(
          `### Produce: sequential acks=all, one in flight (${SENDS} produces per client per size per round, median of ${PRODUCE_ROUNDS} rounds)\n\n` +
            table(
              ['client', 'records/produce', 'CPU µs/produce', 'CPU µs/record', 'p50 ms', 'p99 ms'],
              summary.map((row) => [row.client, row.records, row.cpuPerProduceUs, row.cpuPerRecordUs, row.p50Ms, row.p99Ms]),
            ),
        );
      } finally {
        for (const client of clients) await client.close();
      }
    }

    if (ONLY.has('tail') || ONLY.has('range')) {
      const producer = await wireProducer(brokers, topics.tail);
      try {
        if (ONLY.has('tail')) {
          const summary = await tailWorkload(READERS, ROUNDS, {
            brokers,
            topic: topics.tail,
            producer,
            seconds: TAIL_SECONDS,
            ratePerSecond: TAIL_RATE,
            batch: TAIL_BATCH,
          });
          sections.push(
            `### Tail: a follower while ${TAIL_RATE} records/s are written in batches of ${TAIL_BATCH} (minBytes 64 KiB, maxWait 100 ms; ${TAIL_SECONDS} s per round, median of ${ROUNDS} rounds)\n\n` +
              table(
                ['reader', 'CPU µs per 1,000 records', 'lag p50 ms', 'lag p99 ms', 'chunks per round'],
                summary.map((row) => [row.reader, row.cpuPer1000Us, row.lagP50Ms, row.lagP99Ms, row.chunks]),
              ),
          );
        }
        if (ONLY.has('range')) {
          const rangeProducer = await wireProducer(brokers, topics.range);
          const end = await populate(rangeProducer, RANGE_RECORDS).finally(() => rangeProducer.close());
          const summary = await rangeWorkload(READERS, ROUNDS, brokers, topics.range, end - RANGE_RECORDS, end);
          sections.push(
            `### Range read: ${RANGE_RECORDS.toLocaleString('en')} records once, in a fresh process (client set-up and close included; median of ${ROUNDS} rounds)\n\n` +
              table(
                ['reader', 'CPU ms per 100k records', 'wall ms per 100k records'],
                summary.map((row) => [row.reader, row.cpuMsPer100k, row.wallMsPer100k]),
              ),
          );
        }
      } finally {
        producer.close();
      }
    }

    if (ONLY.has('election')) {
      const { summary, groups: used } = await electionWorkload(brokers, topics.election, ROUNDS, IDLE_SECONDS);
      groups.push(...used);
      sections.push(
        `### Election: two members, session timeout 6000 ms, heartbeat 500 ms (idle CPU over ${IDLE_SECONDS} s; median of ${ROUNDS} rounds)\n\n` +
          table(
            [
              'client',
              'describe names writer',
              'notified after rebalance',
              'idle writer CPU ms/min',
              'idle follower CPU ms/min',
              'close → other assigned ms',
              'close → describe shows it ms',
              'SIGKILL → other assigned ms',
            ],
            summary.map((row) => [
              row.client,
              row.describeNamesWriter,
              row.notifiedAfterRebalance,
              row.idleWriterCpuMsPerMin,
              row.idleFollowerCpuMsPerMin,
              row.closeToAssignedMs,
              row.closeToDescribedMs,
              row.killToAssignedMs,
            ]),
          ),
      );
    }
  } finally {
    await admin
      .deleteTopics({ topics: Object.values(topics) })
      .catch((error: unknown) => console.error('[spike] could not delete topics:', error));
    // A group left empty without committed offsets is gone already (GROUP_ID_NOT_FOUND, 69): nothing to delete.
    const gone = (error: unknown): boolean => {
      const failed = (error as { groups?: Array<{ errorCode: number }> }).groups ?? [];
      return failed.length > 0 && failed.every((group) => group.errorCode === 69);
    };
    if (groups.length > 0)
      await admin.deleteGroups(groups).catch((error: unknown) => {
        if (!gone(error)) console.error('[spike] could not delete groups:', error);
      });
    await admin.disconnect();
  }
  const report = sections.join('\n\n');
  console.log(`\n${report}\n`);
  const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}-client-spike.json`;
  writeFileSync(file, `${JSON.stringify({ machine, brokers, report }, null, 2)}\n`);
  console.log(`[spike] written to ${file}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('[spike] fatal:', error);
    process.exit(1);
  },
);
