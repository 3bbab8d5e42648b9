import type { CertificateRecord, LoggedRecord } from '../../src/actors/certificate.js';
import type { WriteLimit } from '../../src/actors/group-commit.js';
import type { Ledger, LogBounds, LogFollower } from '../../src/actors/ledger.js';
import { LogState } from '../../src/actors/log-state.js';
import { LogWriter } from '../../src/actors/log-writer.js';
import { Sequencers } from '../../src/actors/sequencers.js';
import type { ActorOptions, ShareClassConfig } from '../../src/actors/share-class-actor.js';

/** What happens to one append: it lands and is acknowledged, lands with its answer lost, is lost, or lands later. */
export type AppendFate = 'ok' | 'landed-unacknowledged' | 'lost' | 'late';

/**
 * An in-memory log behaving as the Kafka topic does for the sequencing core: a write lands whole
 * and contiguously at the end, and its answer is the offset it landed at. Several writers may share
 * one. Knobs make the faults Kafka can make: a held write, a lost answer, a lost write, a write
 * delivered after its writer gave up. For unit tests of pure sequencing logic only; every invariant
 * is also proven against real Kafka.
 */
export class FakeLedger implements Ledger {
  readonly writeLimit: WriteLimit<CertificateRecord> = { maxWeight: 1_000_000, weigh: () => 1 };
  readonly records: CertificateRecord[] = [];
  /** Sizes of the appends asked for, in order. */
  readonly appends: number[] = [];
  /** Decides each append's fate (default: all land). */
  fate: () => AppendFate = () => 'ok';
  /** Runs before each append lands: a test or a simulator decides when. */
  beforeLanding: () => Promise<void> = () => Promise.resolve();
  failReads = false;
  private readonly late: CertificateRecord[][] = [];
  private readonly followers = new Set<(records: LoggedRecord[], highWatermark: number) => void>();
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  /** Holds every append until `release()`, so a test can pile requests up behind a write. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  /** The next append meets this fate, later ones land normally. */
  failNext(fate: AppendFate): void {
    let used = false;
    this.fate = () => (used ? 'ok' : ((used = true), fate));
  }

  async append(records: readonly CertificateRecord[]): Promise<number> {
    this.appends.push(records.length);
    await this.gate;
    await this.beforeLanding();
    const fate = this.fate();
    if (fate === 'lost') throw new Error('broker went away');
    if (fate === 'late') {
      this.late.push([...records]);
      throw new Error('no acknowledgement in time');
    }
    const base = this.land(records);
    if (fate === 'landed-unacknowledged') throw new Error('connection reset after the write');
    return base;
  }

  /** Writes as another writer would, with no answer to anyone here. */
  land(records: readonly CertificateRecord[]): number {
    const base = this.records.length;
    this.records.push(...records);
    const landed = this.entries(base, this.records.length);
    for (const follower of this.followers) follower(landed, this.records.length);
    return base;
  }

  /** Delivers the oldest write still in the network, after its writer gave up on it; false if none. */
  deliverLate(): boolean {
    const records = this.late.shift();
    if (records === undefined) return false;
    this.land(records);
    return true;
  }

  get lateWrites(): number {
    return this.late.length;
  }

  async bounds(): Promise<LogBounds> {
    if (this.failReads) throw new Error('broker unreachable');
    return { low: 0, high: this.records.length };
  }

  async read(from: number, to: number, onRecords: (records: LoggedRecord[]) => void): Promise<void> {
    if (this.failReads) throw new Error('broker unreachable');
    if (from < to) onRecords(this.entries(from, to));
  }

  follow(from: number, onRecords: (records: LoggedRecord[], highWatermark: number) => void): LogFollower {
    const follower = (records: LoggedRecord[], highWatermark: number): void => {
      const fresh = records.filter((entry) => entry.offset >= from);
      if (fresh.length > 0) onRecords(fresh, highWatermark);
    };
    if (from < this.records.length) onRecords(this.entries(from, this.records.length), this.records.length);
    this.followers.add(follower);
    return {
      stop: async () => {
        this.followers.delete(follower);
      },
    };
  }

  entries(from = 0, to = this.records.length): LoggedRecord[] {
    return this.records.slice(from, to).map((record, index) => ({ offset: from + index, record }));
  }
}

export interface FakeInstance {
  readonly state: LogState;
  readonly writer: LogWriter;
  readonly sequencers: Sequencers;
}

/** One instance's sequencing core over the (shared) fake log, having read it to its end as at start. */
export async function fakeInstance(
  ledger: FakeLedger,
  shareClasses: readonly ShareClassConfig[],
  options: ActorOptions = {},
): Promise<FakeInstance> {
  const state = new LogState(shareClasses);
  const writer = new LogWriter(ledger, state);
  await ledger.read(0, ledger.records.length, (records) => state.apply(records));
  state.readTo(ledger.records.length);
  state.loaded = true;
  return { state, writer, sequencers: new Sequencers(shareClasses, state, writer, options) };
}
