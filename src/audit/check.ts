import { parseCertificateId } from '../core/certificate.js';
import type { LoggedRecord } from '../core/logged-record.js';
import { scopedKey, UNKNOWN_PRINCIPAL } from '../core/provenance.js';
import { RememberedKeys, type KeyWindow } from '../core/remembered-keys.js';
import type { ShareClassConfig } from '../core/share-class.js';
import type { SealVerifier, SignedHead } from '../core/seal.js';
import { HARMLESS_VOID, ValidityRule, type Verdict, type VoidReason } from '../core/validity.js';
import { extendsHead } from './since-head.js';
import { EVENT_TYPES, type EventType } from '../core/events.js';

/** What a client was told in a 201: the audit proves the log holds exactly this. */
export interface Acknowledged {
  readonly id: string;
  readonly name?: string;
  readonly amount?: number;
}

export interface ClassTotals {
  readonly class: string;
  readonly certificates: number;
  readonly sharesIssued: number;
  /** Shares on outstanding certificates: issued less what events cancelled, repurchased or moved. */
  readonly outstanding: number;
  /** As the log has them: configured, or as the newest adjustment set them. */
  readonly authorized: number;
  readonly remaining: number;
}

/** What one principal was issued: records written before principals were recorded count as `unknown`. */
export interface PrincipalTotals {
  readonly principal: string;
  readonly certificates: number;
  readonly shares: number;
}

export interface Violation {
  /** Offset of the offending record; absent for violations about the log as a whole. */
  readonly offset?: number;
  /** Self-contained: names the offending record's offset, when there is one. */
  readonly message: string;
}

export interface VoidRecord {
  readonly offset: number;
  readonly reason: VoidReason;
  readonly message: string;
}

/** Who signed the log: its valid seals, by key. */
export interface SigningTotals {
  /** Valid seals: writes signed by a trusted key. None for an unsigned log. */
  readonly writes: number;
  readonly byKey: ReadonlyArray<{ readonly key: string; readonly writes: number }>;
  /** Where the first signed write starts, and how many records come before it (written before signing). */
  readonly firstSigned?: { readonly offset: number; readonly unsignedBefore: number };
  /** The newest valid seal: what a holder or auditor keeps to prove later that the log still extends it. */
  readonly newest?: SignedHead;
}

/** The check of a head kept earlier (`--since-head`). */
export interface SinceHeadCheck {
  readonly saved: SignedHead;
  /** Why the log does not extend it; absent when it does. */
  readonly failure?: string;
  /** Valid seals after it. */
  readonly writesSince: number;
}

export interface AuditOptions {
  /** The trusted public keys; none by default, so every seal is `untrusted_key`. */
  readonly verifier?: SealVerifier;
  /** A head kept earlier, already checked (parseSavedHead): the log must extend it. */
  readonly sinceHead?: SignedHead;
  /** How many violations and void records the report lists (all are counted). */
  readonly maxViolations?: number;
}

export interface AuditReport {
  readonly ok: boolean;
  readonly records: number;
  readonly signing: SigningTotals;
  readonly sinceHead?: SinceHeadCheck;
  readonly classes: readonly ClassTotals[];
  /** Valid events (src/core/events.ts), by type. */
  readonly events: Partial<Record<EventType, number>>;
  /** Certificates and shares by the principal who asked for them, by principal id, `unknown` last. */
  readonly principals: readonly PrincipalTotals[];
  /** The first violations found, in log order (at most `maxViolations`). */
  readonly violations: readonly Violation[];
  /** All violations, including those not kept in `violations`. */
  readonly violationCount: number;
  /** Records the rule voids as a correct writer leaves them (a stale or late write): listed apart, no violation. */
  readonly voidRecords: {
    readonly total: number;
    readonly byReason: Partial<Record<VoidReason, number>>;
    /** The first ones, in log order (at most `maxViolations`). */
    readonly first: readonly VoidRecord[];
  };
  readonly acknowledgedChecked: number;
}

/**
 * Checks a certificate log record by record with the service's own rule (src/core/validity.ts),
 * so a topic of millions of records is audited in one pass with memory bounded by the number of
 * acknowledged IDs, not by the log. A void record that a correct writer can leave behind (a stale
 * or late write, never acknowledged) is listed apart; any other void record is a violation, and so
 * is an acknowledged certificate that the log does not hold as a certificate with the same name
 * and amount.
 */
export class LogAudit {
  private readonly rule: ValidityRule;
  /** The keys a writer remembered at each point of the log: a key certified again while remembered is a violation. */
  private readonly keys: RememberedKeys;
  private readonly codes: readonly string[];
  private readonly events: Partial<Record<EventType, number>> = {};
  /** Acknowledged ids not yet found as certificates: what the audit keeps, whatever the log's length. */
  private readonly pending = new Map<string, Acknowledged>();
  /** Certificates and shares by principal id: as many entries as principals ever issued, not as records. */
  private readonly principals = new Map<string, { certificates: number; shares: number }>();
  /** The first void record of each pending id: a certificate with that id may still follow it. */
  private readonly voidedPending = new Map<string, VoidRecord>();
  private readonly acknowledgedTotal: number;
  private readonly violations: Violation[] = [];
  private violationCount = 0;
  private readonly voids: VoidRecord[] = [];
  private readonly voidsByReason: Partial<Record<VoidReason, number>> = {};
  private voidTotal = 0;
  private records = 0;
  private firstOffset: number | undefined;
  private end = 0;
  private readonly writesByKey = new Map<string, number>();
  private signedWrites = 0;
  private firstSigned: SigningTotals['firstSigned'];
  private readonly maxViolations: number;
  private readonly sinceHead: SignedHead | undefined;
  /** The rule's verdict on the record at the saved head's offset. */
  private atSavedHead: Verdict | undefined;
  private writesSince = 0;

  constructor(
    shareClasses: readonly ShareClassConfig[],
    keyWindow: KeyWindow,
    acknowledged: Iterable<Acknowledged> = [],
    options: AuditOptions = {},
  ) {
    this.codes = shareClasses.map(({ code }) => code);
    this.rule = new ValidityRule(shareClasses, options.verifier);
    this.maxViolations = options.maxViolations ?? 20;
    this.sinceHead = options.sinceHead;
    this.keys = new RememberedKeys(keyWindow);
    for (const ack of acknowledged) {
      const earlier = this.pending.get(ack.id);
      if (earlier !== undefined && (earlier.name !== ack.name || earlier.amount !== ack.amount)) {
        this.violate(undefined, `${ack.id} was acknowledged twice with different contents`);
      }
      this.pending.set(ack.id, ack);
    }
    this.acknowledgedTotal = this.pending.size;
  }

  /** Judges the next records; they must come in log order, as `KafkaLedger.readAll` hands them. */
  add(entries: Iterable<LoggedRecord>): void {
    for (const entry of entries) this.check(entry);
  }

  report(): AuditReport {
    for (const verdict of this.rule.finish()) this.take(verdict);
    for (const { id } of this.pending.values()) {
      const voided = this.voidedPending.get(id);
      if (voided === undefined) this.violate(undefined, `${id} was acknowledged but is not in the log`);
      else {
        this.violate(
          voided.offset,
          `${id} was acknowledged but the log holds it only as a void record at offset ${voided.offset} (${voided.reason})`,
        );
      }
    }
    this.pending.clear();
    this.voidedPending.clear();
    const sinceHead = this.checkSinceHead();
    const classes = [...this.codes].map((code) => {
      const { number, sharesIssued, outstanding } = this.rule.tail(code);
      const authorized = this.rule.authorizedOf(code)!;
      return { class: code, certificates: number, sharesIssued, outstanding, authorized, remaining: authorized - outstanding };
    });
    const principals = [...this.principals]
      .map(([principal, totals]) => ({ principal, ...totals }))
      .sort(
        (a, b) =>
          Number(a.principal === UNKNOWN_PRINCIPAL) - Number(b.principal === UNKNOWN_PRINCIPAL) || (a.principal < b.principal ? -1 : 1),
      );
    const newest = this.rule.signedHead;
    return {
      ok: this.violationCount === 0,
      records: this.records,
      signing: {
        writes: this.signedWrites,
        byKey: [...this.writesByKey].map(([key, writes]) => ({ key, writes })),
        ...(this.firstSigned === undefined ? {} : { firstSigned: this.firstSigned }),
        ...(newest === undefined ? {} : { newest }),
      },
      ...(sinceHead === undefined ? {} : { sinceHead }),
      classes,
      events: { ...this.events },
      principals,
      violations: [...this.violations],
      violationCount: this.violationCount,
      voidRecords: { total: this.voidTotal, byReason: { ...this.voidsByReason }, first: [...this.voids] },
      acknowledgedChecked: this.acknowledgedTotal,
    };
  }

  private check(entry: LoggedRecord): void {
    this.records += 1;
    this.firstOffset ??= entry.offset;
    this.end = entry.offset + 1;
    for (const verdict of this.rule.judge(entry)) this.take(verdict);
  }

  /** The saved head's check, once the whole log was read; a failure is a violation at its offset. */
  private checkSinceHead(): SinceHeadCheck | undefined {
    const saved = this.sinceHead;
    if (saved === undefined) return undefined;
    const failure = extendsHead(saved, { first: this.firstOffset, end: this.end }, this.atSavedHead);
    if (failure === undefined) return { saved, writesSince: this.writesSince };
    this.violate(saved.offset, `the log does not extend the saved head: ${failure}`);
    return { saved, failure, writesSince: 0 };
  }

  private take(verdict: Verdict): void {
    const { offset } = verdict;
    if (offset === this.sinceHead?.offset) this.atSavedHead = verdict;
    if (verdict.kind === 'head') {
      this.signedWrites += 1;
      const { key, first, count } = verdict.head.head;
      // Judged at its seal: every record read so far is before the write, or in it.
      this.firstSigned ??= { offset: first, unsignedBefore: this.records - count - 1 };
      this.writesByKey.set(key, (this.writesByKey.get(key) ?? 0) + 1);
      if (this.sinceHead !== undefined && offset > this.sinceHead.offset) this.writesSince += 1;
      return;
    }
    if (verdict.kind === 'event') {
      this.events[verdict.event.event] = (this.events[verdict.event.event] ?? 0) + 1;
      return;
    }
    if (verdict.kind === 'void') {
      const voided = { offset, reason: verdict.reason, message: verdict.message };
      if (HARMLESS_VOID.has(verdict.reason)) this.listVoid(voided);
      else this.violate(offset, `${verdict.message} (${verdict.reason})`);
      const id = verdict.record?.id;
      if (id !== undefined && this.pending.has(id) && !this.voidedPending.has(id)) this.voidedPending.set(id, voided);
      return;
    }
    const { id, name, amount, idempotencyKey, number, issuedAt, principal } = verdict.record;
    this.tally(principal ?? UNKNOWN_PRINCIPAL, amount);
    if (idempotencyKey !== undefined) {
      const issuedAtMs = Date.parse(issuedAt);
      const scoped = scopedKey(principal, idempotencyKey);
      const earlier = this.keys.recall(scoped, issuedAtMs);
      if (earlier !== undefined) {
        this.violate(
          offset,
          `${id} at offset ${offset} was issued for Idempotency-Key ${JSON.stringify(idempotencyKey)}, ` +
            `which ${earlier.class}-${earlier.number} already answered: one request, two certificates`,
        );
      }
      this.keys.remember(scoped, { class: verdict.record.class, number, issuedAtMs });
    }
    const ack = this.pending.get(id);
    if (ack === undefined) return;
    this.pending.delete(id);
    this.voidedPending.delete(id);
    const at = `${id} at offset ${offset}`;
    if (ack.name !== undefined && ack.name !== name) {
      this.violate(offset, `${at}: acknowledged with name ${JSON.stringify(ack.name)}, the log says ${JSON.stringify(name)}`);
    }
    if (ack.amount !== undefined && ack.amount !== amount) {
      this.violate(offset, `${at}: acknowledged with amount ${ack.amount}, the log says ${amount}`);
    }
  }

  private tally(principal: string, shares: number): void {
    const totals = this.principals.get(principal);
    if (totals === undefined) this.principals.set(principal, { certificates: 1, shares });
    else {
      totals.certificates += 1;
      totals.shares += shares;
    }
  }

  private listVoid(voided: VoidRecord): void {
    this.voidTotal += 1;
    this.voidsByReason[voided.reason] = (this.voidsByReason[voided.reason] ?? 0) + 1;
    if (this.voids.length < this.maxViolations) this.voids.push(voided);
  }

  private violate(offset: number | undefined, message: string): void {
    this.violationCount += 1;
    if (this.violations.length < this.maxViolations) this.violations.push(offset === undefined ? { message } : { offset, message });
  }
}

/**
 * Parses an acknowledged-certificates file: one certificate per line, either a bare ID (`CS-17`)
 * or the JSON body of the 201 (`{"id":"CS-17","name":…,"amount":…}`), whose name and amount are
 * then checked too. Blank lines and lines starting with `#` are skipped.
 */
export function parseAcknowledged(text: string): Acknowledged[] {
  const acknowledged: Acknowledged[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!line.startsWith('{')) {
      if (parseCertificateId(line) === undefined) {
        throw new Error(`line ${index + 1}: expected a certificate ID such as CS-17, got ${line.slice(0, 80)}`);
      }
      acknowledged.push({ id: line });
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`line ${index + 1}: not valid JSON`);
    }
    const { id, name, amount } = (parsed ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string') throw new Error(`line ${index + 1}: expected a JSON object with a string "id"`);
    acknowledged.push({
      id,
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof amount === 'number' ? { amount } : {}),
    });
  }
  return acknowledged;
}

/** A table aligned for a terminal: the first column to the left, the numbers to the right. */
function aligned(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** The per-class table, aligned for a terminal. */
export function formatTable(classes: readonly ClassTotals[]): string {
  const rows = classes.map((row) =>
    [row.class, row.certificates, row.sharesIssued, row.outstanding, row.authorized, row.remaining].map(String),
  );
  return aligned(['class', 'certificates', 'shares issued', 'outstanding', 'authorized', 'remaining'], rows);
}

/**
 * The by-principal table (`npm run audit -- --by-principal`): `unknown` counts what was issued
 * before records named their principal.
 */
export function formatPrincipals(principals: readonly PrincipalTotals[]): string {
  const rows = principals.map((row) => [row.principal, String(row.certificates), String(row.shares)]);
  return aligned(['principal', 'certificates', 'shares'], rows);
}

/** Messages indented under their heading, saying how many were left out. */
function listed(messages: readonly string[], total: number): string[] {
  const lines = messages.map((message) => `  ${message}`);
  if (total > messages.length) lines.push(`  … and ${total - messages.length} more`);
  return lines;
}

/** Whether the log is signed, by which keys, its newest signed head, and the saved head's check. */
function formatSigning({ signing, sinceHead }: AuditReport): string[] {
  const { writes, byKey, firstSigned, newest } = signing;
  if (newest === undefined || firstSigned === undefined) return ['unsigned log: no write signed by a trusted key'];
  const { head, hash, offset } = newest;
  const { unsignedBefore } = firstSigned;
  const lines = [
    `signed log: ${writes} signed write${writes === 1 ? '' : 's'} from offset ${firstSigned.offset} on` +
      (unsignedBefore === 0
        ? ''
        : `; the ${unsignedBefore} record${unsignedBefore === 1 ? '' : 's'} before, written before signing, judged by numbering alone`),
    ...byKey.map(({ key, writes: count }) => `  key ${key}: ${count} write${count === 1 ? '' : 's'}`),
    `newest signed head: offset ${offset}, hash ${hash}, signed at ${head.at} by key ${head.key}`,
  ];
  if (sinceHead !== undefined && sinceHead.failure === undefined) {
    const { saved, writesSince } = sinceHead;
    lines.push(
      `the log extends the saved head at offset ${saved.offset} (hash ${saved.hash}): ${writesSince} signed write${writesSince === 1 ? '' : 's'} since`,
    );
  }
  return lines;
}

/** The valid events by type, in the order events.ts lists them; nothing for a log without events. */
function formatEvents(events: AuditReport['events']): string[] {
  const counted = EVENT_TYPES.flatMap((type) => (events[type] === undefined ? [] : [`${type}: ${events[type]}`]));
  if (counted.length === 0) return [];
  const total = Object.values(events).reduce((sum, count) => sum + count, 0);
  return [`events: ${total} (${counted.join(', ')})`];
}

/** What `npm run audit` prints after reading the topic: totals, signatures, void records apart, then the verdict. */
export function formatReport(
  report: AuditReport,
  options: { readonly acknowledgedFile?: boolean; readonly byPrincipal?: boolean } = {},
): string {
  const lines = [formatTable(report.classes), ...formatEvents(report.events)];
  if (options.byPrincipal) lines.push('', formatPrincipals(report.principals), '');
  lines.push(...formatSigning(report));
  if (options.acknowledgedFile) lines.push(`acknowledged certificates checked: ${report.acknowledgedChecked}`);
  const { voidRecords } = report;
  if (voidRecords.total > 0) {
    const reasons = Object.entries(voidRecords.byReason).map(([reason, count]) => `${reason}: ${count}`);
    lines.push(
      `void records: ${voidRecords.total} (${reasons.join(', ')}) — written by stale or late writers, never acknowledged; not certificates`,
      ...listed(
        voidRecords.first.map((voided) => voided.message),
        voidRecords.total,
      ),
    );
  }
  if (report.ok) {
    lines.push(
      `OK: numbering, running totals${report.signing.writes > 0 ? ', authorized limits and signatures' : ' and authorized limits'} hold`,
    );
  } else {
    lines.push(
      `FAILED: ${report.violationCount} violation${report.violationCount === 1 ? '' : 's'}:`,
      ...listed(
        report.violations.map((violation) => violation.message),
        report.violationCount,
      ),
    );
  }
  return lines.join('\n');
}
