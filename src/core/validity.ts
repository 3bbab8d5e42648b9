import type { CertificateRecord, LoggedRecord } from './certificate.js';
import { merkleTree, sha256Hex } from './merkle.js';
import { fieldsHash, leafHash } from './proof.js';
import { encodeValue } from './record-format.js';
import {
  GENESIS,
  headHash,
  headText,
  TRUSTS_NO_KEY,
  type ClassCount,
  type Proof,
  type Seal,
  type SealVerifier,
  type SignedHead,
} from './seal.js';
import type { ShareClassConfig } from './share-class.js';

/**
 * Why a record is not a certificate. Only `misplaced` is what a correct writer leaves behind (a
 * stale writer's batch, a write delivered late, a retried duplicate): it was never acknowledged.
 * Every other reason means something wrote to the topic what no correct writer would, and the
 * audit reports it as a violation. The last five are the signature's: a record without a seal once
 * the log is signed (`unsigned`), a seal whose records or signature do not match (`bad_signature`),
 * a key not in the trusted set (`untrusted_key`) or not allowed to sign at the seal's time
 * (`retired_key`), and a seal that does not continue the chain of heads (`broken_chain`).
 */
export const VOID_REASONS = [
  'misplaced',
  'malformed',
  'unknown_class',
  'out_of_sequence',
  'wrong_total',
  'over_authorized',
  'legacy_after_upgrade',
  'unsigned',
  'bad_signature',
  'untrusted_key',
  'retired_key',
  'broken_chain',
] as const;
export type VoidReason = (typeof VOID_REASONS)[number];

export const HARMLESS_VOID: ReadonlySet<VoidReason> = new Set<VoidReason>(['misplaced']);

/**
 * What the rule decided about one record. A certificate from a signed write carries its proof; a
 * `head` is a valid seal (not a certificate: it signs the certificates before it).
 */
export type Verdict =
  | { readonly kind: 'certificate'; readonly offset: number; readonly record: CertificateRecord; readonly proof?: Proof }
  | { readonly kind: 'head'; readonly offset: number; readonly head: SignedHead }
  | {
      readonly kind: 'void';
      readonly offset: number;
      readonly reason: VoidReason;
      readonly message: string;
      readonly record?: CertificateRecord;
    };

export interface ClassTail {
  /** Number of the class's newest certificate (0: none yet). */
  readonly number: number;
  /** The class's running total of shares after that certificate. */
  readonly sharesIssued: number;
}

const EMPTY: ClassTail = { number: 0, sharesIssued: 0 };

/** What the rule carries from one record to the next besides the class tails: for a snapshot. */
export interface RuleProgress {
  readonly statesOffsets: boolean;
  readonly lastOffset: number;
  /** The newest valid seal: from it on, every certificate must be signed (absent before the first). */
  readonly head?: SignedHead;
}

/** A record's leaf in its write's Merkle tree, and the hash of its bytes (its proof's `valueHash`). */
export interface Leaf {
  readonly valueHash: string;
  readonly leaf: string;
}

/** The leaf of a record whose bytes in the log are `value`. */
function leafOf(record: CertificateRecord, value: string): Leaf {
  const valueHash = sha256Hex(value);
  return { valueHash, leaf: leafHash(fieldsHash(record), valueHash) };
}

/** Why a seal does not sign the write before it. */
interface SealFailure {
  readonly reason: VoidReason;
  readonly message: string;
}

/** A signed write's records read so far, waiting for the seal at `sealAt` that decides them. */
interface PendingWrite {
  readonly sealAt: number;
  readonly first: number;
  readonly leaves: string[];
  readonly valueHashes: string[];
  /** Each record's verdict if the seal is valid (a certificate, or void on its own account), in log order. */
  readonly verdicts: Verdict[];
  /** The class tails as they would be if the seal is valid. */
  readonly tails: Map<string, ClassTail>;
}

/** A write this instance is about to make, as ValidityRule.rootOf hashed it. */
interface StatedWrite {
  readonly values: readonly string[];
  readonly leaves: readonly Leaf[];
  readonly hashes: readonly string[];
  readonly root: string;
  readonly paths: string[][];
}

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
 *
 * Signing (src/core/seal.ts): a signed write's records name the offset of their seal, which follows
 * them in the same atomic batch. They are judged as above, then held until the seal: it must sign
 * exactly them (the Merkle root of their leaves), continue the chain of heads (the previous valid
 * head's hash, a time no earlier than its), state each class's count as it now stands, and carry a
 * good signature by a key trusted at its time. Then its records are certificates; otherwise every
 * one of them is void for the seal's reason. Once a valid seal exists, a record outside a signed
 * write is void (`unsigned`), as a record without an offset is once offsets are stated. Records
 * before the first valid seal are judged as they always were.
 */
export class ValidityRule {
  private readonly authorized: ReadonlyMap<string, number>;
  private readonly tails = new Map<string, ClassTail>();
  private statesOffsets = false;
  private lastOffset = -1;
  private head: SignedHead | undefined;
  private pending: PendingWrite | undefined;
  /** The write this instance stated last (`rootOf`): its records' bytes and leaves in order, and its tree. */
  private stated: StatedWrite | undefined;

  constructor(
    shareClasses: readonly ShareClassConfig[],
    private readonly verifier: SealVerifier = TRUSTS_NO_KEY,
  ) {
    this.authorized = new Map(shareClasses.map(({ code, authorized }) => [code, authorized]));
  }

  get progress(): RuleProgress {
    return { statesOffsets: this.statesOffsets, lastOffset: this.lastOffset, ...(this.head === undefined ? {} : { head: this.head }) };
  }

  /** The newest valid seal, undefined while the log is unsigned. */
  get signedHead(): SignedHead | undefined {
    return this.head;
  }

  /** True while a signed write was read in part: what the rule holds then is not yet a state to keep. */
  get waiting(): boolean {
    return this.pending !== undefined;
  }

  /** Continues as if it had judged a log whose certificates left these tails, with this progress. */
  restore(tails: ReadonlyMap<string, ClassTail>, progress: RuleProgress): void {
    if (this.lastOffset !== -1) throw new Error('Expected to restore a rule that has judged nothing');
    for (const [shareClass, tail] of tails) if (tail.number > 0) this.tails.set(shareClass, tail);
    this.statesOffsets = progress.statesOffsets;
    this.lastOffset = progress.lastOffset;
    this.head = progress.head;
  }

  tail(shareClass: string): ClassTail {
    return this.tails.get(shareClass) ?? EMPTY;
  }

  /**
   * The Merkle root of a write this instance is about to make (LogState.headOf). Its leaves are
   * remembered with each record's bytes, and its tree with its leaves, until the next one, so that
   * judging that write when it is applied hashes none of its records, nor its tree, again. A leaf is
   * a function of the record's bytes alone (the record is what they decode to), and a tree of its
   * leaves: what is remembered is what any reader computes, so nothing is taken on trust.
   */
  rootOf(records: readonly CertificateRecord[], values: readonly string[]): string {
    const leaves = records.map((record, index) => leafOf(record, values[index]!));
    const hashes = leaves.map(({ leaf }) => leaf);
    this.stated = { values, leaves, hashes, ...merkleTree(hashes) };
    return this.stated.root;
  }

  /**
   * The leaf of a signed write's `index`th record, whose bytes are `value`: the remembered one when
   * the stated write's record there has these very bytes (compared, not hashed for a lookup).
   */
  private leafAt(index: number, record: CertificateRecord, value: string): Leaf {
    return this.stated?.values[index] === value ? this.stated.leaves[index]! : leafOf(record, value);
  }

  /** The tree of these leaves: the stated write's when they are its leaves, else computed. */
  private treeOf(leaves: readonly string[]): { readonly root: string; readonly paths: string[][] } {
    const stated = this.stated;
    if (stated?.hashes.length === leaves.length && stated.hashes.every((leaf, index) => leaf === leaves[index])) return stated;
    return merkleTree(leaves);
  }

  /**
   * Judges the next record; records must come in offset order, each once. Returns the verdicts
   * reached with it, in log order: none while a signed write waits for its seal, all of its
   * records' at the seal.
   */
  judge(entry: LoggedRecord): Verdict[] {
    if (entry.offset <= this.lastOffset) {
      throw new Error(`Records must be judged in log order: offset ${entry.offset} came after ${this.lastOffset}`);
    }
    this.lastOffset = entry.offset;
    const { offset } = entry;
    const verdicts: Verdict[] = [];
    const pending = this.pending;
    if (pending !== undefined && !this.belongs(entry, pending)) {
      this.pending = undefined;
      this.voidWrite(pending, 'unsigned', `is not followed by its seal at offset ${pending.sealAt}`, verdicts);
    }
    if (entry.seal !== undefined) {
      this.judgeSeal(offset, entry.seal, verdicts);
      return verdicts;
    }
    const { record } = entry;
    if (record === undefined) {
      verdicts.push({ kind: 'void', offset, reason: 'malformed', message: `offset ${offset}: ${entry.malformed}` });
      return verdicts;
    }
    const at = `${record.id} at offset ${offset}`;
    if (record.offset !== undefined) {
      this.statesOffsets = true;
      if (record.offset !== offset) {
        verdicts.push(
          this.void(offset, record, 'misplaced', `${at} was written for offset ${record.offset}: a stale, late or retried write`),
        );
        return verdicts;
      }
    } else if (this.statesOffsets) {
      verdicts.push(
        this.void(
          offset,
          record,
          'legacy_after_upgrade',
          `${at} states no offset, after records that do: an old instance is still writing`,
        ),
      );
      return verdicts;
    }
    if (record.seal === undefined) {
      const verdict =
        this.head === undefined
          ? this.continues(offset, record, this.tails, at)
          : this.void(offset, record, 'unsigned', `${at} is not signed, after signed records: something without the signing key wrote it`);
      if (verdict.kind === 'certificate') this.tails.set(record.class, { number: record.number, sharesIssued: record.sharesIssued });
      verdicts.push(verdict);
      return verdicts;
    }
    let write: PendingWrite | undefined = this.pending;
    if (write === undefined) {
      write = { sealAt: record.seal, first: offset, leaves: [], valueHashes: [], verdicts: [], tails: new Map() };
      this.pending = write;
    }
    const tails = write.tails;
    const value = entry.value ?? encodeValue(record);
    const { valueHash, leaf } = this.leafAt(write.leaves.length, record, value);
    write.valueHashes.push(valueHash);
    write.leaves.push(leaf);
    const verdict = this.continues(offset, record, { get: (code) => tails.get(code) ?? this.tails.get(code) }, at);
    if (verdict.kind === 'certificate') tails.set(record.class, { number: record.number, sharesIssued: record.sharesIssued });
    write.verdicts.push(verdict);
    return verdicts;
  }

  /**
   * At the end of a log read to its end: a signed write still waiting for its seal will never get it
   * (a write is one atomic batch), so its records are void. Only the audit calls this; an instance
   * keeps waiting, since the rest of the batch may be in the next chunk.
   */
  finish(): Verdict[] {
    const verdicts: Verdict[] = [];
    const pending = this.pending;
    this.pending = undefined;
    if (pending !== undefined) this.voidWrite(pending, 'unsigned', `is not followed by its seal at offset ${pending.sealAt}`, verdicts);
    return verdicts;
  }

  /** Whether the entry continues the waiting signed write: one of its records in place, or its seal. */
  private belongs(entry: LoggedRecord, pending: PendingWrite): boolean {
    if (entry.seal !== undefined) return entry.offset === pending.sealAt;
    return entry.record?.seal === pending.sealAt && entry.record.offset === entry.offset && entry.offset < pending.sealAt;
  }

  private continues(offset: number, record: CertificateRecord, tails: Pick<Map<string, ClassTail>, 'get'>, at: string): Verdict {
    const authorized = this.authorized.get(record.class);
    if (authorized === undefined) return this.void(offset, record, 'unknown_class', `${at}: class ${record.class} is not configured`);
    const tail = tails.get(record.class) ?? EMPTY;
    if (record.number !== tail.number + 1) {
      return this.void(offset, record, 'out_of_sequence', `${at} does not follow ${record.class}-${tail.number}`);
    }
    if (record.sharesIssued !== tail.sharesIssued + record.amount) {
      return this.void(
        offset,
        record,
        'wrong_total',
        `${at}: running total ${record.sharesIssued} is not ${tail.sharesIssued} + ${record.amount}`,
      );
    }
    if (record.sharesIssued > authorized) {
      return this.void(
        offset,
        record,
        'over_authorized',
        `${at}: ${record.sharesIssued} shares issued, above the ${authorized} authorized`,
      );
    }
    return { kind: 'certificate', offset, record };
  }

  private judgeSeal(offset: number, seal: Seal, verdicts: Verdict[]): void {
    const { head } = seal;
    const write = this.pending;
    this.pending = undefined;
    const at = `seal at offset ${offset}`;
    const sealEnd = head.first + head.count;
    if (sealEnd !== offset) {
      if (write !== undefined) this.voidWrite(write, 'unsigned', `is not followed by its seal at offset ${write.sealAt}`, verdicts);
      verdicts.push({
        kind: 'void',
        offset,
        reason: 'misplaced',
        message: `${at} was written for offset ${sealEnd}: a stale, late or retried write`,
      });
      return;
    }
    const checked = this.checkSeal(seal, write, offset);
    if ('reason' in checked) {
      if (write !== undefined) this.voidWrite(write, checked.reason, `is signed by the ${at}, which is void`, verdicts);
      verdicts.push({ kind: 'void', offset, reason: checked.reason, message: `${at}: ${checked.message}` });
      return;
    }
    const { text, paths } = checked;
    const signed: SignedHead = { head, signature: seal.signature, offset, hash: headHash(text) };
    write!.verdicts.forEach((verdict, index) => {
      if (verdict.kind !== 'certificate') return verdicts.push(verdict);
      const { record } = verdict;
      this.tails.set(record.class, { number: record.number, sharesIssued: record.sharesIssued });
      const proof = { valueHash: write!.valueHashes[index]!, index, path: paths[index]!, seal: signed };
      return verdicts.push({ ...verdict, proof });
    });
    this.head = signed;
    verdicts.push({ kind: 'head', offset, head: signed });
  }

  /**
   * Why the seal cannot sign the waiting write; or when it does, the head's text and the write's
   * audit paths (its records' proofs), from the one pass over the tree that checked its root.
   */
  private checkSeal(
    seal: Seal,
    write: PendingWrite | undefined,
    offset: number,
  ): SealFailure | { readonly text: string; readonly paths: string[][] } {
    const { head } = seal;
    if (write === undefined || write.first !== head.first || write.leaves.length !== head.count || write.sealAt !== offset) {
      return {
        reason: 'broken_chain',
        message: `it signs ${head.count} records from offset ${head.first}, which are not the records before it`,
      };
    }
    const { root, paths } = this.treeOf(write.leaves);
    if (root !== head.root) {
      return { reason: 'bad_signature', message: `its root ${head.root} is not the root of the records it signs: they were altered` };
    }
    const prev = this.head?.hash ?? GENESIS;
    if (head.prev !== prev) return { reason: 'broken_chain', message: `it follows head ${head.prev}, not the previous valid head ${prev}` };
    if (this.head !== undefined && head.at < this.head.head.at) {
      return { reason: 'broken_chain', message: `its time ${head.at} is before the previous head's ${this.head.head.at}` };
    }
    const counts = JSON.stringify(this.counts(write));
    if (JSON.stringify(head.classes) !== counts) {
      return { reason: 'broken_chain', message: `its class counts ${JSON.stringify(head.classes)} are not the log's ${counts}` };
    }
    const text = headText(head);
    const check = this.verifier.check(head, text, seal.signature);
    if (check === 'ok') return { text, paths };
    const messages = {
      untrusted_key: `key ${head.key} is not a trusted signing key`,
      retired_key: `key ${head.key} may not sign at ${head.at}`,
      bad_signature: `its signature is not key ${head.key}'s signature of its head`,
    } as const;
    return { reason: check, message: messages[check] };
  }

  /** Every class's count as the write would leave it, in code order: what a head states. */
  private counts(write: PendingWrite): Record<string, ClassCount> {
    const counts: Record<string, ClassCount> = {};
    const codes = new Set([...this.tails.keys(), ...write.tails.keys()]);
    for (const code of [...codes].sort()) {
      const { number, sharesIssued } = write.tails.get(code) ?? this.tails.get(code)!;
      counts[code] = { number, sharesIssued };
    }
    return counts;
  }

  /** The write's records, void: those that were certificates for `reason`, the others for their own. */
  private voidWrite(write: PendingWrite, reason: VoidReason, why: string, verdicts: Verdict[]): void {
    for (const verdict of write.verdicts) {
      verdicts.push(
        verdict.kind === 'certificate'
          ? this.void(verdict.offset, verdict.record, reason, `${verdict.record.id} at offset ${verdict.offset} ${why}`)
          : verdict,
      );
    }
  }

  private void(offset: number, record: CertificateRecord, reason: VoidReason, message: string): Verdict {
    return { kind: 'void', offset, reason, message, record };
  }
}
