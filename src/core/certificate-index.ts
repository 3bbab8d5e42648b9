import { certificateId, type Certificate } from './certificate.js';
import type { Terms } from './terms.js';

const INITIAL_CAPACITY = 1024;
const INITIAL_NAME_BYTES = 16 * 1024;

/** An index's columns, trimmed to its certificates: what a state snapshot stores (src/state/). */
export interface IndexColumns {
  readonly totals: Float64Array<ArrayBuffer>;
  readonly issuedAtMs: Float64Array<ArrayBuffer>;
  /** count + 1 entries: where each name starts in `names`, and where the last one ends. */
  readonly nameStarts: Float64Array<ArrayBuffer>;
  readonly names: Uint8Array<ArrayBuffer>;
  readonly issuedAtTexts: ReadonlyArray<readonly [number, string]>;
  /** Where each certificate's signed write starts in the log (its proof is read from there); NaN when unsigned. */
  readonly writes: Float64Array<ArrayBuffer>;
  /** The terms and origin of the certificates that have either, by number - 1. */
  readonly extras: ReadonlyArray<readonly [number, Extras]>;
}

/** What few certificates carry: kept apart from the columns, by number - 1. */
export interface Extras {
  readonly terms?: Terms;
  readonly origin?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Every committed certificate of one class, by number. A class's certificates are contiguous
 * 1..count, so the index is columns indexed by number - 1 rather than a map of objects: 24 bytes
 * per certificate plus its name's UTF-8 bytes, against ~70 bytes for a 14-character name as objects
 * and strings:
 * - the running total (a double; a certificate's amount is its total less the previous one's);
 * - `issuedAt` as epoch milliseconds (a double), when the ISO text the record carried is exactly what
 *   the milliseconds print as, which is what this service writes; other texts are kept as they came;
 * - the holder's name as UTF-8 in one growing byte arena, found by its start (a double);
 * - the offset where its signed write starts (a double; NaN before signing), from which its proof
 *   is read again when asked for (src/core/receipts.ts): 8 bytes here instead of the proof's ~300;
 * - its terms and the event that issued it, in a map by number, for the certificates that have them.
 * The id, class and number are derived.
 */
export class CertificateIndex {
  readonly shareClass: string;
  private size = 0;
  private totals = new Float64Array(INITIAL_CAPACITY);
  private issuedAtMs = new Float64Array(INITIAL_CAPACITY);
  /** Where each name starts in `names`; entry `size` is where the next one will. */
  private nameStarts = new Float64Array(INITIAL_CAPACITY + 1);
  private names = new Uint8Array(INITIAL_NAME_BYTES);
  private writes = new Float64Array(INITIAL_CAPACITY);
  /** `issuedAt` texts that milliseconds would not print back exactly, by number - 1. */
  private readonly issuedAtTexts = new Map<number, string>();
  private readonly extras = new Map<number, Extras>();
  /** The newest `issuedAt` read as milliseconds: a batch's certificates share it, so it is parsed once a batch. */
  private lastIssuedAt = '';
  private lastIssuedAtMs = Number.NaN;

  constructor(shareClass: string) {
    this.shareClass = shareClass;
  }

  get count(): number {
    return this.size;
  }

  /** The class's running total of shares after the newest certificate. */
  get sharesIssued(): number {
    return this.size === 0 ? 0 : this.totals[this.size - 1]!;
  }

  /**
   * Appends the next certificate. The validity rule admits only the next number of the class, so
   * anything else is a bug in this process, never a state of the log: fail loudly, keep what we had.
   */
  add(certificate: Certificate, writeStart?: number): void {
    const expected = this.size + 1;
    if (certificate.class !== this.shareClass || certificate.number !== expected) {
      throw new Error(`Expected ${certificateId(this.shareClass, expected)} next in the index, got ${certificate.id}`);
    }
    const at = this.size;
    if (at === this.totals.length) this.growColumns();
    this.totals[at] = certificate.sharesIssued;
    this.issuedAtMs[at] = this.milliseconds(certificate.issuedAt);
    if (Number.isNaN(this.issuedAtMs[at])) this.issuedAtTexts.set(at, certificate.issuedAt);
    this.appendName(at, certificate.name);
    this.writes[at] = writeStart ?? Number.NaN;
    const { terms, origin } = certificate;
    if (terms !== undefined || origin !== undefined) {
      this.extras.set(at, { ...(terms === undefined ? {} : { terms }), ...(origin === undefined ? {} : { origin }) });
    }
    this.size += 1;
  }

  /** The offset where the signed write that holds certificate `number` starts; undefined when it was not signed. */
  writeOf(number: number): number | undefined {
    if (!Number.isSafeInteger(number) || number < 1 || number > this.size) return undefined;
    const start = this.writes[number - 1]!;
    return Number.isNaN(start) ? undefined : start;
  }

  get(number: number): Certificate | undefined {
    if (!Number.isSafeInteger(number) || number < 1 || number > this.size) return undefined;
    const at = number - 1;
    const sharesIssued = this.totals[at]!;
    const ms = this.issuedAtMs[at]!;
    const certificate: Certificate = {
      id: certificateId(this.shareClass, number),
      class: this.shareClass,
      number,
      name: decoder.decode(this.names.subarray(this.nameStarts[at]!, this.nameStarts[at + 1]!)),
      amount: this.amountOf(number)!,
      issuedAt: Number.isNaN(ms) ? this.issuedAtTexts.get(at)! : new Date(ms).toISOString(),
      sharesIssued,
    };
    const extras = this.extras.get(at);
    return extras === undefined ? certificate : { ...certificate, ...extras };
  }

  /** The certificates whose terms name `holder`, by number: only those with terms are looked at, which are few. */
  heldBy(holder: string): Certificate[] {
    const held: Certificate[] = [];
    for (const [at, extras] of this.extras) if (extras.terms?.holder === holder) held.push(this.get(at + 1)!);
    return held.sort((a, b) => a.number - b.number);
  }

  /**
   * Whether certificate `number`'s name starts with `prefix` (UTF-8, ASCII letters in lower case),
   * ASCII letters compared without case, without decoding the name: a search scans many.
   */
  nameStartsWith(number: number, prefix: Uint8Array): boolean {
    const start = this.nameStarts[number - 1]!;
    if (this.nameStarts[number]! - start < prefix.length) return false;
    for (let at = 0; at < prefix.length; at++) {
      const byte = this.names[start + at]!;
      if ((byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte) !== prefix[at]) return false;
    }
    return true;
  }

  /** Certificate `number`'s shares, without building the certificate. */
  amountOf(number: number): number | undefined {
    if (!Number.isSafeInteger(number) || number < 1 || number > this.size) return undefined;
    return this.totals[number - 1]! - (number === 1 ? 0 : this.totals[number - 2]!);
  }

  /** The numbers and terms of the certificates that have terms, in number order. */
  *withTerms(): Generator<readonly [number, Terms]> {
    for (const [at, { terms }] of this.extras) if (terms !== undefined) yield [at + 1, terms];
  }

  /** The text as epoch milliseconds if they print back as exactly that text, else NaN. */
  private milliseconds(issuedAt: string): number {
    if (issuedAt !== this.lastIssuedAt) {
      const ms = Date.parse(issuedAt);
      this.lastIssuedAt = issuedAt;
      this.lastIssuedAtMs = Number.isFinite(ms) && new Date(ms).toISOString() === issuedAt ? ms : Number.NaN;
    }
    return this.lastIssuedAtMs;
  }

  /**
   * The columns as they stand, for a snapshot: views, not copies. What a view shows never changes,
   * so a snapshot can be written while certificates are added: entries below `count` are written
   * once, and growing replaces the arrays instead of changing them.
   */
  columns(): IndexColumns {
    return {
      totals: this.totals.subarray(0, this.size),
      issuedAtMs: this.issuedAtMs.subarray(0, this.size),
      nameStarts: this.nameStarts.subarray(0, this.size + 1),
      names: this.names.subarray(0, this.nameStarts[this.size]!),
      issuedAtTexts: [...this.issuedAtTexts],
      writes: this.writes.subarray(0, this.size),
      extras: [...this.extras],
    };
  }

  /** An index holding what `columns()` gave, taken over as they are. */
  static fromColumns(shareClass: string, columns: IndexColumns): CertificateIndex {
    const count = columns.totals.length;
    if (
      columns.issuedAtMs.length !== count ||
      columns.writes.length !== count ||
      columns.nameStarts.length !== count + 1 ||
      columns.nameStarts[count] !== columns.names.length
    ) {
      throw new Error(
        `Expected ${shareClass}'s columns to hold ${count} certificates alike, got ${columns.issuedAtMs.length} times, ${columns.nameStarts.length - 1} names`,
      );
    }
    const index = new CertificateIndex(shareClass);
    index.size = count;
    // Taken as they are: entries below `count` are never written again, and the next add grows
    // every column into new arrays first (they are exactly full).
    index.totals = count === 0 ? index.totals : columns.totals;
    index.issuedAtMs = count === 0 ? index.issuedAtMs : columns.issuedAtMs;
    index.nameStarts = count === 0 ? index.nameStarts : columns.nameStarts;
    index.writes = count === 0 ? index.writes : columns.writes;
    index.names = columns.names.length === 0 ? index.names : columns.names;
    for (const [at, text] of columns.issuedAtTexts) index.issuedAtTexts.set(at, text);
    for (const [at, extras] of columns.extras) index.extras.set(at, extras);
    return index;
  }

  private appendName(at: number, name: string): void {
    const start = this.nameStarts[at]!;
    // A UTF-16 unit is at most 3 UTF-8 bytes: make room for the worst case, then write what it is.
    const needed = start + name.length * 3;
    if (needed > this.names.length) {
      const names = new Uint8Array(Math.max(needed, this.names.length * 2));
      names.set(this.names.subarray(0, start));
      this.names = names;
    }
    // Most names are ASCII: copying the units is several times cheaper than the encoder's call.
    let end = start;
    for (let unit = 0; unit < name.length; unit++) {
      const code = name.charCodeAt(unit);
      if (code >= 0x80) {
        end = start + encoder.encodeInto(name, this.names.subarray(start)).written;
        break;
      }
      this.names[end++] = code;
    }
    this.nameStarts[at + 1] = end;
  }

  private growColumns(): void {
    const capacity = this.totals.length * 2;
    const grown = (column: Float64Array<ArrayBuffer>, length: number): Float64Array<ArrayBuffer> => {
      const copy = new Float64Array(length);
      copy.set(column);
      return copy;
    };
    this.totals = grown(this.totals, capacity);
    this.issuedAtMs = grown(this.issuedAtMs, capacity);
    this.nameStarts = grown(this.nameStarts, capacity + 1);
    this.writes = grown(this.writes, capacity);
  }
}
