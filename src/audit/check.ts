import { parseCertificateId } from '../actors/certificate.js';
import type { ShareClassConfig } from '../actors/share-class-actor.js';
import type { LogEntry } from '../log/reader.js';
import { decodeRecord, MalformedRecord } from '../log/record.js';

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
  readonly authorized: number;
  readonly remaining: number;
}

export interface Violation {
  /** Offset of the offending record; absent for violations about the log as a whole. */
  readonly offset?: number;
  readonly message: string;
}

export interface AuditReport {
  readonly ok: boolean;
  readonly records: number;
  readonly classes: readonly ClassTotals[];
  /** The first violations found, in log order (at most `maxViolations`). */
  readonly violations: readonly Violation[];
  /** All violations, including those not kept in `violations`. */
  readonly violationCount: number;
  readonly acknowledgedChecked: number;
}

interface Running {
  lastNumber: number;
  sharesIssued: number;
}

/**
 * Checks a certificate log record by record, so a topic of millions of records is audited in one
 * pass with memory bounded by the number of acknowledged IDs, not by the log. Per class, in log
 * order: every record decodes, numbers run 1, 2, 3, … with no gap or repeat, each running total is
 * the previous one plus the amount, and no total exceeds the authorized shares.
 */
export class LogAudit {
  private readonly authorized: ReadonlyMap<string, number>;
  private readonly running = new Map<string, Running>();
  private readonly pending: Map<string, Acknowledged>;
  private readonly acknowledgedTotal: number;
  private readonly violations: Violation[] = [];
  private violationCount = 0;
  private records = 0;

  constructor(
    shareClasses: readonly ShareClassConfig[],
    acknowledged: Iterable<Acknowledged> = [],
    private readonly maxViolations = 20,
  ) {
    this.authorized = new Map(shareClasses.map(({ code, authorized }) => [code, authorized]));
    for (const { code } of shareClasses) this.running.set(code, { lastNumber: 0, sharesIssued: 0 });
    this.pending = new Map();
    for (const ack of acknowledged) {
      const earlier = this.pending.get(ack.id);
      if (earlier !== undefined && (earlier.name !== ack.name || earlier.amount !== ack.amount)) {
        this.violate(undefined, `${ack.id} was acknowledged twice with different contents`);
      }
      this.pending.set(ack.id, ack);
    }
    this.acknowledgedTotal = this.pending.size;
  }

  add(entries: Iterable<LogEntry>): void {
    for (const entry of entries) this.check(entry);
  }

  report(): AuditReport {
    for (const ack of this.pending.values()) this.violate(undefined, `${ack.id} was acknowledged but is not in the log`);
    this.pending.clear();
    const classes = [...this.running].map(([code, { lastNumber, sharesIssued }]) => {
      const authorized = this.authorized.get(code) ?? 0;
      return { class: code, certificates: lastNumber, sharesIssued, authorized, remaining: authorized - sharesIssued };
    });
    return {
      ok: this.violationCount === 0,
      records: this.records,
      classes,
      violations: [...this.violations],
      violationCount: this.violationCount,
      acknowledgedChecked: this.acknowledgedTotal,
    };
  }

  private check(entry: LogEntry): void {
    this.records += 1;
    let certificate;
    try {
      certificate = decodeRecord(entry.key, entry.value);
    } catch (error) {
      if (!(error instanceof MalformedRecord)) throw error;
      this.violate(entry.offset, error.message);
      return;
    }
    const { id, class: code, number, name, amount, sharesIssued } = certificate;
    const authorized = this.authorized.get(code);
    let running = this.running.get(code);
    if (running === undefined) {
      running = { lastNumber: 0, sharesIssued: 0 };
      this.running.set(code, running);
    }
    if (authorized === undefined) this.violate(entry.offset, `${id}: class ${code} is not among the authorized share classes`);

    if (number <= running.lastNumber) this.violate(entry.offset, `${id}: duplicate or out of order (after ${code}-${running.lastNumber})`);
    else if (number > running.lastNumber + 1) {
      const missing = number - running.lastNumber - 1;
      this.violate(entry.offset, `${id}: gap, ${missing} number${missing === 1 ? '' : 's'} missing after ${code}-${running.lastNumber}`);
    }
    if (sharesIssued !== running.sharesIssued + amount) {
      this.violate(
        entry.offset,
        `${id}: running total ${sharesIssued} is not ${running.sharesIssued} + ${amount} = ${running.sharesIssued + amount}`,
      );
    }
    if (authorized !== undefined && sharesIssued > authorized) {
      this.violate(entry.offset, `${id}: ${sharesIssued} shares issued, above the ${authorized} authorized`);
    }
    // Carry on from what the record says, so one bad record is reported once, not as a cascade.
    running.lastNumber = Math.max(running.lastNumber, number);
    running.sharesIssued = sharesIssued;

    const ack = this.pending.get(id);
    if (ack !== undefined) {
      this.pending.delete(id);
      if (ack.name !== undefined && ack.name !== name) {
        this.violate(entry.offset, `${id}: acknowledged with name ${JSON.stringify(ack.name)}, the log says ${JSON.stringify(name)}`);
      }
      if (ack.amount !== undefined && ack.amount !== amount) {
        this.violate(entry.offset, `${id}: acknowledged with amount ${ack.amount}, the log says ${amount}`);
      }
    }
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

/** The per-class table, aligned for a terminal. */
export function formatTable(classes: readonly ClassTotals[]): string {
  const header = ['class', 'certificates', 'shares issued', 'authorized', 'remaining'];
  const rows = classes.map((row) => [row.class, row.certificates, row.sharesIssued, row.authorized, row.remaining].map(String));
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
