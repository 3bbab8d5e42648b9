import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { waitForLeader } from '../../src/log/topic.js';
import { brokerScript, LOCAL_TEST_PORT } from './broker-info.js';
import { sleep, until } from './load.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A Kafka cluster of several KRaft nodes from the project's own script (`KAFKA_NODES`), on ports
 * of its own above the suite's single broker, so fault tests can kill, stop and starve its nodes.
 */
export class KafkaCluster {
  private readonly admin: Kafka;

  constructor(
    readonly nodes = 3,
    readonly basePort = LOCAL_TEST_PORT + 100,
  ) {
    this.admin = new Kafka({
      clientId: 'test-cluster-admin',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 1 },
    });
  }

  get brokers(): string[] {
    return Array.from({ length: this.nodes }, (_, index) => `127.0.0.1:${this.port(index + 1)}`);
  }

  port(node: number): number {
    return this.basePort + 2 * (node - 1);
  }

  dataDir(node: number): string {
    return `${ROOT}.kafka/broker-${this.port(node)}`;
  }

  private async script(...args: string[]): Promise<string> {
    const { stdout } = await run(brokerScript, args, {
      env: { ...process.env, KAFKA_NODES: String(this.nodes), KAFKA_PORT: String(this.basePort) },
    });
    return stdout;
  }

  /** Starts the nodes that are down and waits until the whole cluster acknowledges a produce. */
  async start(): Promise<void> {
    await this.script('start');
  }

  /** Stops the named nodes with SIGTERM, or all of them. */
  async stop(...nodes: number[]): Promise<void> {
    await this.script('stop', ...nodes.map(String));
  }

  /** A clean slate: every node stopped and its data erased. */
  async wipe(): Promise<void> {
    await this.stop();
    for (let node = 1; node <= this.nodes; node++) await rm(this.dataDir(node), { recursive: true, force: true });
  }

  pid(node: number): number | undefined {
    const file = `${this.dataDir(node)}/broker.pid`;
    return existsSync(file) ? Number(readFileSync(file, 'utf8')) : undefined;
  }

  running(node: number): boolean {
    const pid = this.pid(node);
    if (pid === undefined) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** kill -9 of one node, waiting until its process is gone. */
  async kill(node: number): Promise<void> {
    const pid = this.pid(node);
    if (pid === undefined) throw new Error(`node ${node} has no PID file`);
    process.kill(pid, 'SIGKILL');
    await until(`node ${node} (pid ${pid}) to die`, () => !this.running(node), 10_000);
  }

  /** The partition's leader and in-sync replicas (node ids), as the cluster reports them now. */
  async partition(topic: string): Promise<{ leader: number; isr: number[] }> {
    const admin = this.admin.admin();
    try {
      await admin.connect();
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const partition = topics[0]!.partitions[0]!;
      return { leader: partition.leader, isr: [...partition.isr].sort() };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Creates a topic with the given settings, replicated on every node or only on the nodes named, as an operator might have. */
  async createTopic(topic: string, settings: Record<string, string>, onlyOn?: readonly number[]): Promise<void> {
    const admin = this.admin.admin();
    try {
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic,
            ...(onlyOn === undefined
              ? { numPartitions: 1, replicationFactor: this.nodes }
              : { replicaAssignment: [{ partition: 0, replicas: [...onlyOn] }] }),
            configEntries: Object.entries(settings).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      await waitForLeader(admin, topic);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** What each node itself says of the partition: leader, in-sync replicas and error, or why it did not answer. */
  async partitionByNode(topic: string): Promise<string[]> {
    return Promise.all(
      this.brokers.map(async (broker) => {
        const admin = new Kafka({
          clientId: 'probe',
          brokers: [broker],
          logLevel: logLevel.NOTHING,
          connectionTimeout: 1000,
          retry: { retries: 0 },
        }).admin();
        try {
          await admin.connect();
          const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
          const partition = topics[0]!.partitions[0]!;
          return `${broker}: leader ${partition.leader} isr ${partition.isr.join(',')} error ${partition.partitionErrorCode}`;
        } catch (error) {
          return `${broker}: ${(error as Error).message}`;
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      }),
    );
  }

  /** Whether a new producer can write one record to the topic now, and where it landed or why not, with kafkajs's own account. */
  async tryProduce(topic: string, idempotent = true): Promise<string> {
    const said: string[] = [];
    const producer = new Kafka({
      clientId: 'probe',
      brokers: this.brokers,
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) =>
        void said.push(
          `${entry.namespace} ${entry.log.message} ${JSON.stringify({ ...entry.log, message: undefined, timestamp: undefined, logger: undefined })}`.slice(
            0,
            400,
          ),
        ),
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 2 },
    }).producer({ idempotent, maxInFlightRequests: 1 });
    try {
      await producer.connect();
      const [result] = await producer.send({ topic, acks: -1, messages: [{ key: 'XX', value: 'probe' }] });
      return `landed at ${result?.baseOffset}`;
    } catch (error) {
      return `failed: ${(error as Error).message}\n${said
        .filter((line) => !line.includes('Request '))
        .slice(-25)
        .join('\n')}`;
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }

  /** Waits until every node is back in the topic's in-sync replicas, so the next fault starts from full replication. */
  async fullyReplicated(topic: string, timeoutMs = 90_000): Promise<void> {
    await until(
      `all ${this.nodes} nodes in sync on ${topic}`,
      async () => {
        try {
          return (await this.partition(topic)).isr.length === this.nodes;
        } catch {
          await sleep(200);
          return false;
        }
      },
      timeoutMs,
    );
  }
}
