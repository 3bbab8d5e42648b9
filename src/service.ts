import { LogState } from './actors/log-state.js';
import { LogWriter } from './actors/log-writer.js';
import type { KeyWindow } from './actors/remembered-keys.js';
import { Sequencers } from './actors/sequencers.js';
import type { ShareClassConfig } from './actors/share-class-actor.js';
import { WriterElection } from './cluster/election.js';
import { Forwarder } from './cluster/forwarder.js';
import { ClusterNode, type NodeObserver } from './cluster/node.js';
import type { KafkaSecurity } from './log/kafka-config.js';
import { KafkaLedger } from './log/kafka-ledger.js';
import type { Logger } from './logger.js';
import { ServiceMetrics } from './metrics.js';
import { serviceReadiness, type Readiness } from './readiness.js';
import { SnapshotFile } from './state/snapshot-file.js';
import { DEFAULT_SNAPSHOT_EVERY_RECORDS, Snapshots } from './state/snapshots.js';

export interface ServiceSettings {
  readonly brokers: readonly string[];
  readonly security?: KafkaSecurity;
  readonly topic: string;
  readonly shareClasses: readonly ShareClassConfig[];
  readonly advertisedUrl: string;
  readonly writerGroup?: string;
  readonly writerSessionTimeoutMs?: number;
  readonly writerWaitMs?: number;
  readonly keyWindow?: KeyWindow;
  readonly commitTimeoutMs?: number;
  readonly minInsyncReplicas?: number;
  readonly replicationFactor?: number;
  readonly flushEveryWrite?: boolean;
  /** Where to keep snapshots of the log state; without it the whole log is read at start. */
  readonly stateDir?: string;
  readonly snapshotEveryRecords?: number;
  readonly logger?: Logger;
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

/**
 * Wires one instance: the log, the state read from it, the writer and actors, the forwarder, and
 * the election that decides which of writing or forwarding this instance does. Resolves once the
 * log has been read and the instance has joined the group.
 */
export async function startService(settings: ServiceSettings): Promise<Service> {
  const { logger } = settings;
  const commitTimeoutMs = settings.commitTimeoutMs ?? 5000;
  const metrics = new ServiceMetrics();
  const ledger = new KafkaLedger({
    brokers: settings.brokers,
    topic: settings.topic,
    ...(settings.security === undefined ? {} : { security: settings.security }),
    appendTimeoutMs: commitTimeoutMs,
    ...(settings.minInsyncReplicas === undefined ? {} : { minInsyncReplicas: settings.minInsyncReplicas }),
    ...(settings.replicationFactor === undefined ? {} : { replicationFactor: settings.replicationFactor }),
    ...(settings.flushEveryWrite === undefined ? {} : { flushEveryWrite: settings.flushEveryWrite }),
  });
  await ledger.connect();
  for (const warning of ledger.topicWarnings) logger?.warn({ topic: settings.topic }, warning);
  const state = new LogState(
    settings.shareClasses,
    {
      voidRecord(reason, offset, message) {
        metrics.voidRecord(reason);
        logger?.warn({ reason, offset }, `void record: ${message}`);
      },
    },
    settings.keyWindow,
  );
  const writer = new LogWriter(ledger, state, {
    resynced(reason, where) {
      metrics.resynced(reason);
      // A write that landed where it was not stated means another writer, or a log that moved under
      // this one (a leader change): rare, and the first thing to look at when renumbering climbs.
      if (reason === 'landed_elsewhere') logger?.warn(where, 'a write landed elsewhere than stated; read the log again');
    },
  });
  const sequencers = new Sequencers(settings.shareClasses, state, writer, { ackTimeoutMs: commitTimeoutMs, observer: metrics });
  metrics.collectClasses(() => sequencers.snapshots());
  metrics.collectKeys(() => state.rememberedKeys);
  const observer: NodeObserver = {
    roleChanged(role, generation, writerUrl) {
      metrics.roleChanged(role, generation);
      logger?.info({ role, generation, writerUrl, logEnd: state.end }, `role: ${role}`);
    },
    tailLag: (records) => metrics.tailLag(records),
  };
  const snapshots =
    settings.stateDir === undefined
      ? undefined
      : new Snapshots(new SnapshotFile(settings.stateDir, settings.topic), state, ledger, {
          everyRecords: settings.snapshotEveryRecords ?? DEFAULT_SNAPSHOT_EVERY_RECORDS,
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
      forwarder: new Forwarder({ timeoutMs: commitTimeoutMs + 5000 }),
      ...(snapshots === undefined ? {} : { snapshots }),
    },
    { url: settings.advertisedUrl, writerWaitMs: settings.writerWaitMs ?? 10_000, observer },
  );
  const election = new WriterElection(ledger.client, {
    groupId: settings.writerGroup ?? `${settings.topic}.writer`,
    topic: settings.topic,
    sessionTimeoutMs: settings.writerSessionTimeoutMs ?? 6000,
    candidate: () => node.candidate(),
    onRole: (role, generation) => node.assigned(role, generation),
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
