import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LogStateObserver } from '../core/log-state.js';
import type { WriterObserver } from '../actors/log-writer.js';
import type { ActorObserver } from '../actors/observer.js';
import type { ActorSnapshot } from '../actors/share-class-actor.js';
import type { VoidReason } from '../core/validity.js';
import type { NodeObserver, NodeRole } from '../cluster/node.js';
import { RequestTally } from './request-tally.js';

/**
 * The service's Prometheus metrics. A request costs a few additions (src/monitoring/request-tally.ts), a commit
 * one prom-client update per metric; per-class state (mailbox depth, certificates and shares
 * issued) is read from the actors' snapshots only when Prometheus scrapes, so it costs the hot path
 * nothing.
 */
export class ServiceMetrics implements ActorObserver, LogStateObserver, WriterObserver, NodeObserver {
  readonly contentType: string;
  private readonly registry = new Registry();
  private readonly requests = new RequestTally([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  private readonly batchSize: Histogram<'class'>;
  private readonly commitSeconds: Histogram<'class'>;
  private readonly sealSeconds: Histogram;
  private readonly commitFailures: Counter<'class'>;
  private readonly renumberedRequests: Counter<'class'>;
  private readonly voids: Counter<'reason'>;
  private readonly resyncs: Counter<'reason'>;
  private readonly roleChanges: Counter<'role'>;
  private readonly roleGauge: Gauge<'role'>;
  private readonly generationGauge: Gauge;
  private readonly lagGauge: Gauge;
  /** Requests numbered again since start (also in /readyz). */
  renumberedTotal = 0;
  private snapshots: () => readonly ActorSnapshot[] = () => [];
  private keys: () => number = () => 0;

  constructor() {
    const registers = [this.registry];
    this.contentType = this.registry.contentType;
    collectDefaultMetrics({ register: this.registry });
    this.batchSize = new Histogram({
      name: 'certificates_batch_size',
      help: 'Certificates per committed batch, by class',
      labelNames: ['class'],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'certificates_commit_duration_seconds',
      help: 'Time for a batch to be acknowledged by the log (acks=all), by class',
      labelNames: ['class'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.sealSeconds = new Histogram({
      name: 'certificates_seal_duration_seconds',
      help: "Time to seal a write (hash its records into their tree, sign its head), on the path of each of the write's requests",
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025],
      registers,
    });
    this.commitFailures = new Counter({
      name: 'certificates_commit_failures_total',
      help: 'Batches whose commit failed or was not acknowledged, by class',
      labelNames: ['class'],
      registers,
    });
    this.renumberedRequests = new Counter({
      name: 'certificates_renumbered_total',
      help: 'Requests numbered again because the write carrying them was void (another writer came first, or it failed)',
      labelNames: ['class'],
      registers,
    });
    this.voids = new Counter({
      name: 'certificates_void_records_total',
      help: 'Records the validity rule found void, by reason (misplaced: a stale, late or retried write)',
      labelNames: ['reason'],
      registers,
    });
    this.resyncs = new Counter({
      name: 'certificates_log_rereads_total',
      help: 'Times the writer read the log because a write did not land where it was stated',
      labelNames: ['reason'],
      registers,
    });
    this.roleChanges = new Counter({
      name: 'certificates_role_changes_total',
      help: 'Role changes of this instance, by the role taken',
      labelNames: ['role'],
      registers,
    });
    this.roleGauge = new Gauge({
      name: 'certificates_role',
      help: '1 for the role this instance has now',
      labelNames: ['role'],
      registers,
    });
    this.generationGauge = new Gauge({ name: 'certificates_group_generation', help: 'Generation of the writer election group', registers });
    this.lagGauge = new Gauge({
      name: 'certificates_tail_lag_records',
      help: 'Records the follower tail is behind the log end',
      registers,
    });
    // prom-client calls collect() with `this` bound to the gauge.
    const classes = (): readonly ActorSnapshot[] => this.snapshots();
    const perClass = (name: string, help: string, value: (snapshot: ActorSnapshot) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['class'],
        registers,
        collect() {
          for (const snapshot of classes()) this.set({ class: snapshot.class }, value(snapshot));
        },
      });
    };
    perClass('certificates_mailbox_depth', 'Requests waiting in the class actor mailbox', (snapshot) => snapshot.mailboxDepth);
    perClass('certificates_issued', 'Certificates of the class committed to the log', (snapshot) => snapshot.certificates);
    perClass('certificates_shares_issued', 'Shares of the class on committed certificates', (snapshot) => snapshot.sharesIssued);
    perClass('certificates_shares_authorized', 'Shares the class may issue in total', (snapshot) => snapshot.authorized);
    const keys = (): number => this.keys();
    new Gauge({
      name: 'certificates_idempotency_keys',
      help: 'Idempotency keys remembered (IDEMPOTENCY_WINDOW_MS, IDEMPOTENCY_MAX_KEYS)',
      registers,
      collect() {
        this.set(keys());
      },
    });
    perClass('certificates_class_ready', '1 when the class actor has read the log and can number', (snapshot) => Number(snapshot.ready));
  }

  /** Where the per-class gauges read from at scrape time (the actors exist after their observer). */
  collectClasses(snapshots: () => readonly ActorSnapshot[]): void {
    this.snapshots = snapshots;
  }

  /** Where the remembered-keys gauge reads from at scrape time. */
  collectKeys(count: () => number): void {
    this.keys = count;
  }

  requestAnswered(route: string, method: string, status: number, seconds: number): void {
    this.requests.answered(route, method, status, seconds);
  }

  batchCommitted(shareClass: string, certificates: number, ms: number): void {
    this.batchSize.observe({ class: shareClass }, certificates);
    this.commitSeconds.observe({ class: shareClass }, ms / 1000);
  }

  commitFailed(shareClass: string): void {
    this.commitFailures.inc({ class: shareClass });
  }

  renumbered(shareClass: string, requests: number): void {
    this.renumberedTotal += requests;
    this.renumberedRequests.inc({ class: shareClass }, requests);
  }

  voidRecord(reason: VoidReason): void {
    this.voids.inc({ reason });
  }

  resynced(reason: string): void {
    this.resyncs.inc({ reason });
  }

  sealed(seconds: number): void {
    this.sealSeconds.observe(seconds);
  }

  roleChanged(role: NodeRole): void {
    this.roleChanges.inc({ role });
    for (const each of ['writer', 'follower', 'unknown'] as const) this.roleGauge.set({ role: each }, each === role ? 1 : 0);
  }

  generation(generation: number): void {
    this.generationGauge.set(generation);
  }

  tailLag(records: number): void {
    this.lagGauge.set(records);
  }

  async render(): Promise<string> {
    return `${await this.registry.metrics()}\n${this.requests.exposition()}`;
  }
}
