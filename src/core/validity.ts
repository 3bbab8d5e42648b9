import type { CertificateRecord, LoggedRecord } from './certificate.js';
import type { ShareClassConfig } from './share-class.js';

/**
 * Why a record is not a certificate. Only `misplaced` is what a correct writer leaves behind (a
 * stale writer's batch, a write delivered late, a retried duplicate): it was never acknowledged.
 * Every other reason means something wrote to the topic what no correct writer would, and the
 * audit reports it as a violation.
 */
export const VOID_REASONS = [
  'misplaced',
  'malformed',
  'unknown_class',
  'out_of_sequence',
  'wrong_total',
  'over_authorized',
  'legacy_after_upgrade',
] as const;
export type VoidReason = (typeof VOID_REASONS)[number];

export const HARMLESS_VOID: ReadonlySet<VoidReason> = new Set<VoidReason>(['misplaced']);

export type Verdict =
  | { readonly valid: true; readonly record: CertificateRecord }
  | { readonly valid: false; readonly reason: VoidReason; readonly message: string; readonly record?: CertificateRecord };

export interface ClassTail {
  /** Number of the class's newest certificate (0: none yet). */
  readonly number: number;
  /** The class's running total of shares after that certificate. */
  readonly sharesIssued: number;
}

const EMPTY: ClassTail = { number: 0, sharesIssued: 0 };

/**
 * The one rule deciding which records are certificates, applied by every reader in log order:
 * recovery, the follower tail, the writer checking its own writes, and the audit. Kafka has no
 * conditional append, so the condition is checked on read: a record is a certificate only if it
 * sits at the offset its writer stated and continues its class (the next number, the running total
 * plus its amount, within the authorized shares). Any number of writers, any delay or retry: every
 * reader of the same log reaches the same verdicts, and a writer acknowledges only valid records.
 *
 * Records written before scale-out state no offset; they are judged by continuation alone, until
 * the first record that states one: from there on the topic belongs to writers that state offsets,
 * and a record without one can only come from an old instance still running.
 */
export class ValidityRule {
  private readonly authorized: ReadonlyMap<string, number>;
  private readonly tails = new Map<string, ClassTail>();
  private statesOffsets = false;
  private lastOffset = -1;

  constructor(shareClasses: readonly ShareClassConfig[]) {
    this.authorized = new Map(shareClasses.map(({ code, authorized }) => [code, authorized]));
  }

  /** What the rule carries from one record to the next besides the class tails: for a snapshot. */
  get progress(): { readonly statesOffsets: boolean; readonly lastOffset: number } {
    return { statesOffsets: this.statesOffsets, lastOffset: this.lastOffset };
  }

  /** Continues as if it had judged a log whose certificates left these tails, with this progress. */
  restore(tails: ReadonlyMap<string, ClassTail>, progress: { readonly statesOffsets: boolean; readonly lastOffset: number }): void {
    if (this.lastOffset !== -1) throw new Error('Expected to restore a rule that has judged nothing');
    for (const [shareClass, tail] of tails) if (tail.number > 0) this.tails.set(shareClass, tail);
    this.statesOffsets = progress.statesOffsets;
    this.lastOffset = progress.lastOffset;
  }

  tail(shareClass: string): ClassTail {
    return this.tails.get(shareClass) ?? EMPTY;
  }

  /** Judges the next record; records must come in offset order, each once. */
  judge(entry: LoggedRecord): Verdict {
    if (entry.offset <= this.lastOffset) {
      throw new Error(`Records must be judged in log order: offset ${entry.offset} came after ${this.lastOffset}`);
    }
    this.lastOffset = entry.offset;
    const { record, offset } = entry;
    if (record === undefined) return { valid: false, reason: 'malformed', message: `offset ${offset}: ${entry.malformed}` };
    const at = `${record.id} at offset ${offset}`;
    if (record.offset !== undefined) {
      this.statesOffsets = true;
      if (record.offset !== offset) {
        return this.void(record, 'misplaced', `${at} was written for offset ${record.offset}: a stale, late or retried write`);
      }
    } else if (this.statesOffsets) {
      return this.void(record, 'legacy_after_upgrade', `${at} states no offset, after records that do: an old instance is still writing`);
    }
    const authorized = this.authorized.get(record.class);
    if (authorized === undefined) return this.void(record, 'unknown_class', `${at}: class ${record.class} is not configured`);
    const tail = this.tail(record.class);
    if (record.number !== tail.number + 1) {
      return this.void(record, 'out_of_sequence', `${at} does not follow ${record.class}-${tail.number}`);
    }
    if (record.sharesIssued !== tail.sharesIssued + record.amount) {
      return this.void(record, 'wrong_total', `${at}: running total ${record.sharesIssued} is not ${tail.sharesIssued} + ${record.amount}`);
    }
    if (record.sharesIssued > authorized) {
      return this.void(record, 'over_authorized', `${at}: ${record.sharesIssued} shares issued, above the ${authorized} authorized`);
    }
    this.tails.set(record.class, { number: record.number, sharesIssued: record.sharesIssued });
    return { valid: true, record };
  }

  private void(record: CertificateRecord, reason: VoidReason, message: string): Verdict {
    return { valid: false, reason, message, record };
  }
}
