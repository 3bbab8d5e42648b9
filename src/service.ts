import { LogWriter } from './actors/log-writer.js';
import { Sequencers } from './actors/sequencers.js';
import { WriterElection } from './cluster/election.js';
import { Forwarder } from './cluster/forwarder.js';
import { ClusterNode, type NodeObserver } from './cluster/node.js';
import type { ClusterSettings } from './cluster/settings.js';
import { LogState } from './core/log-state.js';
import type { KeyWindow } from './core/remembered-keys.js';
import type { ShareClassConfig } from './core/share-class.js';
import type { KafkaConnection } from './log/kafka-config.js';
import { KafkaLedger } from './log/kafka-ledger.js';
import type { TopicSettings } from './log/topic.js';
import type { Logger } from './monitoring/logger.js';
import { ServiceMetrics } from './monitoring/metrics.js';
import { serviceReadiness, type Readiness } from './monitoring/readiness.js';
import { SnapshotFile } from './state/snapshot-file.js';
import { Snapshots, type StateSettings } from './state/snapshots.js';

/** What is issued and how (SHARE_CLASSES, IDEMPOTENCY_*, COMMIT_TIMEOUT_MS). */
export interface IssuingSettings {
  readonly shareClasses: readonly ShareClassConfig[];
  /** How long and how many idempotency keys are remembered (src/core/remembered-keys.ts). */
  readonly keyWindow: KeyWindow;
  /** A write not acknowledged within this long is abandoned, and its requests answered `503 log_unavailable`. */
  readonly commitTimeoutMs: number;
  /** Requests waiting in one class's mailbox at most; past it, `503 overloaded` (MAILBOX_LIMIT). */
  readonly mailboxLimit: number;
  /** Requests waiting to be forwarded to the writer at most; past it, `503 overloaded` (FORWARD_QUEUE_LIMIT). */
  readonly forwardQueueLimit: number;
}

/** Everything one instance needs, by concern; the brokers are known (the embedded one was started if none was named). */
export interface ServiceSettings {
  readonly kafka: KafkaConnection;
  readonly topic: TopicSettings;
  readonly issuing: IssuingSettings;
  readonly cluster: ClusterSettings;
  readonly state: StateSettings;
}

export interface Service {
  readonly node: ClusterNode;
  readonly ledger: KafkaLedger;
  readonly sequencers: Sequencers;
  readonly metrics: ServiceMetrics;
  readiness(): Readiness;
  /** Answers what was taken, leaves the group, closes the log. */
  close(): Promise<void>;
}

/** A forwarded call waits for the writer's own commit timeout, and this much more for the way there and back. */
const FORWARD_MARGIN_MS = 5000;

/**
 * Wires one instance: the log, the state read from it, the writer and actors, the forwarder, and
 * the election that decides which of writing or forwarding this instance does. Resolves once the
 * log has been read and the instance has joined the group.
 */
export async function startService(settings: ServiceSettings, logger?: Logger): Promise<Service> {
  const { issuing, topic } = settings;
  const metrics = new ServiceMetrics();
  const ledger = new KafkaLedger(settings.kafka, topic, { appendTimeoutMs: issuing.commitTimeoutMs });
  await ledger.connect();
  for (const warning of ledger.topicWarnings) logger?.warn({ topic: topic.name }, warning);
  const state = new LogState(issuing.shareClasses, issuing.keyWindow, {
    voidRecord(reason, offset, message) {
      metrics.voidRecord(reason);
      logger?.warn({ reason, offset }, `void record: ${message}`);
    },
  });
  const writer = new LogWriter(ledger, state, {
    resynced(reason, where) {
      metrics.resynced(reason);
      // A write that landed where it was not stated means another writer, or a log that moved under
      // this one (a leader change): rare, and the first thing to look at when renumbering climbs.
      if (reason === 'landed_elsewhere') logger?.warn(where, 'a write landed elsewhere than stated; read the log again');
    },
  });
  const sequencers = new Sequencers(issuing.shareClasses, state, writer, {
    ackTimeoutMs: issuing.commitTimeoutMs,
    maxWaiting: issuing.mailboxLimit,
    now: () => new Date(),
    observer: metrics,
  });
  metrics.collectClasses(() => sequencers.snapshots());
  metrics.collectKeys(() => state.rememberedKeys);
  const observer: NodeObserver = {
    roleChanged(role, writerUrl) {
      metrics.roleChanged(role);
      logger?.info({ role, writerUrl, logEnd: state.end }, `role: ${role}`);
    },
    generation: (generation) => metrics.generation(generation),
    tailLag: (records) => metrics.tailLag(records),
  };
  const snapshots =
    settings.state.dir === undefined
      ? undefined
      : new Snapshots(new SnapshotFile(settings.state.dir, topic.name), state, ledger, {
          everyRecords: settings.state.everyRecords,
          observer: {
            restored: (outcome) =>
              'end' in outcome
                ? logger?.info({ end: outcome.end }, 'state restored from its snapshot; reading the log from there')
                : logger?.info({ reason: outcome.reason }, 'no snapshot of this log to restore; reading the log from its start'),
            saved: (end, bytes, ms) => logger?.info({ end, bytes, ms: Math.round(ms) }, 'state snapshot saved'),
            failed: (error) => logger?.warn({ err: error }, 'state snapshot not saved; the previous one stays'),
          },
        });
  const node = new ClusterNode(
    {
      ledger,
      state,
      writer,
      sequencers,
      forwarder: new Forwarder({ timeoutMs: issuing.commitTimeoutMs + FORWARD_MARGIN_MS, maxWaiting: issuing.forwardQueueLimit }),
      ...(snapshots === undefined ? {} : { snapshots }),
    },
    settings.cluster,
    observer,
  );
  const election = new WriterElection(ledger.client, topic.name, settings.cluster, {
    candidate: () => node.candidate(),
    onRole: (role) => node.assigned(role),
    onGeneration: (generation) => node.generationMoved(generation),
    // The role stays until the group assigns one again: a writer cut off from the group writes only
    // what the log's rule judges, and while the broker is unreachable nobody else can write anyway.
    onLost: (error) => logger?.warn({ err: error }, 'writer election membership lost; rejoining'),
  });
  await node.start(election);
  return {
    node,
    ledger,
    sequencers,
    metrics,
    readiness: serviceReadiness(ledger, node, () => metrics.renumberedTotal),
    async close() {
      await sequencers.closeAll();
      await node.stop();
      // The state is final now: the next start reads only what others write meanwhile.
      await snapshots?.stop();
      await ledger.disconnect();
    },
  };
}
