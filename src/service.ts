import { LogWriter } from './actors/log-writer.js';
import { Sequencers } from './actors/sequencers.js';
import { ClusterAuth } from './cluster/cluster-auth.js';
import { WriterElection } from './cluster/election.js';
import { Forwarder } from './cluster/forwarder.js';
import { ClusterNode, type NodeObserver } from './cluster/node.js';
import type { ClusterSettings, InternalSettings } from './cluster/settings.js';
import { LogState } from './core/log-state.js';
import { Receipts } from './core/receipts.js';
import { TRUSTS_NO_KEY } from './core/seal.js';
import type { KeyWindow } from './core/remembered-keys.js';
import type { ShareClassConfig } from './core/share-class.js';
import type { KafkaConnection } from './log/kafka-config.js';
import { KafkaLedger } from './log/kafka-ledger.js';
import type { TopicSettings } from './log/topic.js';
import type { Logger } from './monitoring/logger.js';
import { ServiceMetrics } from './monitoring/metrics.js';
import { serviceReadiness, type Readiness } from './monitoring/readiness.js';
import { startSigning, type SigningSettings } from './signing/signing-start.js';
import type { SigningKeys } from './signing/signing-keys.js';
import { SnapshotFile } from './state/snapshot-file.js';
import { Snapshots, type StateSettings } from './state/snapshots.js';
import { stateKey } from './state/state-key.js';

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
  readonly internal: InternalSettings;
  readonly state: StateSettings;
  readonly signing: SigningSettings;
}

export interface Service {
  readonly node: ClusterNode;
  readonly ledger: KafkaLedger;
  readonly sequencers: Sequencers;
  readonly metrics: ServiceMetrics;
  /** The cluster secret: the internal listener checks calls and signs answers with it (src/http/internal-app.ts). */
  readonly clusterAuth: ClusterAuth;
  /** The signing keys this instance trusts (and signs with); undefined when signing is disabled. */
  readonly signing: SigningKeys | undefined;
  /** Reads the signing key file again now (SIGHUP); it is also followed on its own. */
  reloadSigningKeys(): void;
  readiness(): Readiness;
  /** Answers what was taken, leaves the group, closes the log. */
  close(): Promise<void>;
}

/**
 * The cluster secret, or without CLUSTER_SECRET_FILE one of this instance's own: alone it issues
 * as before, and it forwards to, takes calls from and elects no other instance (a cluster of one,
 * closed rather than open).
 */
function clusterAuthOf(internal: InternalSettings, logger: Logger | undefined): ClusterAuth {
  if (internal.secret !== undefined) return new ClusterAuth(Buffer.from(internal.secret));
  logger?.warn(
    'CLUSTER_SECRET_FILE is unset: this instance made a secret of its own and trusts no other instance; give every instance of a cluster the same CLUSTER_SECRET_FILE',
  );
  return ClusterAuth.ofItsOwn();
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
  const clusterAuth = clusterAuthOf(settings.internal, logger);
  const started = await startSigning(settings.signing, logger);
  const signing = started?.keys;
  const ledger = new KafkaLedger(settings.kafka, topic, { appendTimeoutMs: issuing.commitTimeoutMs });
  await ledger.connect();
  for (const warning of ledger.topicWarnings) logger?.warn({ topic: topic.name }, warning);
  const state = new LogState(
    issuing.shareClasses,
    issuing.keyWindow,
    {
      voidRecord(reason, offset, message) {
        metrics.voidRecord(reason);
        logger?.warn({ reason, offset }, `void record: ${message}`);
      },
    },
    signing,
  );
  const writer = new LogWriter(ledger, state, {
    ...(signing === undefined ? {} : { signer: signing }),
    observer: {
      sealed: (seconds) => metrics.sealed(seconds),
      resynced(reason, where) {
        metrics.resynced(reason);
        // A write that landed where it was not stated means another writer, or a log that moved under
        // this one (a leader change): rare, and the first thing to look at when renumbering climbs.
        if (reason === 'landed_elsewhere') logger?.warn(where, 'a write landed elsewhere than stated; read the log again');
      },
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
  // A state directory that cannot hold the key is a disk problem like a snapshot that cannot be
  // saved: the service runs without snapshots, reading the whole log, and says so.
  const snapshotKey =
    settings.state.dir === undefined
      ? undefined
      : await stateKey(settings.state.dir, settings.state.key).catch((error: unknown) => {
          logger?.warn({ err: error }, 'no state key, so no snapshots: the whole log is read at every start');
          return undefined;
        });
  const snapshots =
    settings.state.dir === undefined || snapshotKey === undefined
      ? undefined
      : new Snapshots(new SnapshotFile(settings.state.dir, topic.name, snapshotKey), state, ledger, {
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
      forwarder: new Forwarder({
        timeoutMs: issuing.commitTimeoutMs + FORWARD_MARGIN_MS,
        proof: clusterAuth,
        ca: settings.internal.ca,
        maxWaiting: issuing.forwardQueueLimit,
      }),
      ...(snapshots === undefined ? {} : { snapshots }),
      receipts: new Receipts(ledger, state, signing ?? TRUSTS_NO_KEY),
    },
    settings.cluster,
    observer,
  );
  const election = new WriterElection(
    ledger.client,
    topic.name,
    settings.cluster,
    {
      candidate: () => node.candidate(),
      onRole: (role) => node.assigned(role),
      onGeneration: (generation) => node.generationMoved(generation),
      // The role stays until the group assigns one again: a writer cut off from the group writes only
      // what the log's rule judges, and while the broker is unreachable nobody else can write anyway.
      onLost: (error) => logger?.warn({ err: error }, 'writer election membership lost; rejoining'),
      // No legitimate instance writes while it holds the seat: followers answer 503 no_writer. Kafka's ACLs on the group keep it out.
      onUnprovenWriter: (member) =>
        logger?.error(
          { ...member, group: settings.cluster.writerGroup },
          'the writer election group gave the partition to a member that does not prove it belongs (no cluster secret): not forwarding to it',
        ),
    },
    clusterAuth,
  );
  await node.start(election);
  started?.follow();
  return {
    node,
    ledger,
    sequencers,
    metrics,
    clusterAuth,
    signing,
    reloadSigningKeys: () => started?.reload(),
    readiness: serviceReadiness(ledger, node, () => metrics.renumberedTotal),
    async close() {
      await sequencers.closeAll();
      await node.stop();
      // The state is final now: the next start reads only what others write meanwhile.
      await snapshots?.stop();
      await ledger.disconnect();
      started?.close();
    },
  };
}
