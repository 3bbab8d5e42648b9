import type { Certificate, CertificateRecord } from '../../src/core/certificate.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import type { EventRecord } from '../../src/core/events.js';
import type { EncodedRecord } from '../../src/core/ledger.js';
import { LogState } from '../../src/core/log-state.js';
import { encodeEntry, readRecord } from '../../src/core/record-format.js';
import { encodeSeal, SEAL_KEY, type SealSigner, type SealVerifier } from '../../src/core/seal.js';
import type { ShareClassConfig } from '../../src/core/share-class.js';
import { DEFAULTS } from '../../src/config.js';

/** One write as the log holds it: what to produce to Kafka, and what a reader decodes. */
export interface BuiltWrite {
  readonly encoded: EncodedRecord[];
  readonly entries: LoggedRecord[];
}

/**
 * Lays out writes as a signed writer does (src/actors/log-writer.ts): records stamped in place from
 * the log's end, naming their seal, then the seal of the head the rule will require, signed by
 * `signer`. For tests that build a log by hand: an in-memory log, a topic rebuilt by an insider, a
 * forger's perfect next write (signed with a key of its own). Its state judges what it builds with
 * `verifier`, as every reader would, so a write no reader accepts does not move it.
 */
export class SignedLogBuilder {
  readonly state: LogState;

  constructor(shareClasses: readonly ShareClassConfig[], verifier: SealVerifier) {
    this.state = new LogState(shareClasses, DEFAULTS.keyWindow, undefined, verifier);
  }

  /** Where the next write lands. */
  get end(): number {
    return this.state.end;
  }

  /** Continues the log with a write of these certificates and events, signed at `at`. */
  signed(records: readonly Laid[], signer: SealSigner, at = new Date()): BuiltWrite {
    const from = this.end;
    const sealAt = from + records.length;
    const stamped = stampedFrom(records, from, sealAt);
    const values = stamped.map(encodeEntry);
    const seal = signer.sign(this.state.headOf(stamped, values, at));
    return this.land([
      ...stamped.map((record, index) => ({ key: record.class, value: values[index]! })),
      { key: SEAL_KEY, value: encodeSeal(seal) },
    ]);
  }

  /** Continues the log with records written without a seal (before signing, or by a forger without a key). */
  unsigned(records: readonly Laid[]): BuiltWrite {
    return this.land(stampedFrom(records, this.end).map((record) => ({ key: record.class, value: encodeEntry(record) })));
  }

  /** Appends records exactly as given, in the next offsets. */
  land(encoded: readonly EncodedRecord[]): BuiltWrite {
    const from = this.end;
    const entries = encoded.map(({ key, value }, index) => readRecord(from + index, key, value));
    this.state.apply(entries);
    return { encoded: [...encoded], entries };
  }
}

/** What a write lays out: certificates, and events each followed by its results (records stating an `origin`). */
export type Laid = Certificate | CertificateRecord | EventRecord;

/**
 * The records stamped in place from `from` as a writer does (src/actors/log-writer.ts): each with its
 * offset and a request, naming `sealAt` when signed; an event's results name its offset as `origin`.
 */
export function stampedFrom(records: readonly Laid[], from: number, sealAt?: number): Array<CertificateRecord | EventRecord> {
  let eventAt: number | undefined;
  return records.map((record, index) => {
    const offset = from + index;
    const placed = { request: `r-${offset}`, ...record, offset, ...(sealAt === undefined ? {} : { seal: sealAt }) };
    if ('event' in record) eventAt = offset;
    else if (record.origin !== undefined) return { ...placed, origin: eventAt ?? record.origin };
    return placed;
  });
}
