import type { Certificate, CertificateRecord } from '../../src/core/certificate.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import type { EncodedRecord } from '../../src/core/ledger.js';
import { LogState } from '../../src/core/log-state.js';
import { encodeValue, readRecord } from '../../src/core/record-format.js';
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

  /** Continues the log with a write of these certificates, signed at `at`. */
  signed(certificates: ReadonlyArray<Certificate | CertificateRecord>, signer: SealSigner, at = new Date()): BuiltWrite {
    const from = this.end;
    const sealAt = from + certificates.length;
    const records = certificates.map((certificate, index) => ({
      request: `r-${from + index}`,
      ...certificate,
      offset: from + index,
      seal: sealAt,
    }));
    const values = records.map(encodeValue);
    const seal = signer.sign(this.state.headOf(records, values, at));
    return this.land([
      ...records.map((record, index) => ({ key: record.class, value: values[index]! })),
      { key: SEAL_KEY, value: encodeSeal(seal) },
    ]);
  }

  /** Continues the log with records written without a seal (before signing, or by a forger without a key). */
  unsigned(certificates: ReadonlyArray<Certificate | CertificateRecord>): BuiltWrite {
    const from = this.end;
    return this.land(
      certificates.map((certificate, index) => {
        const record = { request: `r-${from + index}`, ...certificate, offset: from + index };
        return { key: record.class, value: encodeValue(record) };
      }),
    );
  }

  /** Appends records exactly as given, in the next offsets. */
  land(encoded: readonly EncodedRecord[]): BuiltWrite {
    const from = this.end;
    const entries = encoded.map(({ key, value }, index) => readRecord(from + index, key, value));
    this.state.apply(entries);
    return { encoded: [...encoded], entries };
  }
}
