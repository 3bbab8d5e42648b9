import type { Certificate, CertificateRecord } from './certificate.js';
import type { Ledger } from './ledger.js';
import type { LogState } from './log-state.js';
import type { EventRecord } from './events.js';
import { auditPaths, merkleRoot } from './merkle.js';
import { fieldsHash, leafOf } from './proof.js';
import { encodeEvent, encodeValue } from './record-format.js';
import { headHash, headText, type Proof, type Seal, type SealVerifier } from './seal.js';

/**
 * Records one write carries at most: a write stops at the log's size limit (src/log/kafka-ledger.ts),
 * and no record is encoded in fewer than ~380 bytes.
 */
export const MAX_RECORDS_PER_WRITE = 2400;

/**
 * A signed certificate's proof, whenever it is asked for (paper printed later, a retry answered
 * from the log): the state keeps only where each certificate's write starts (8 bytes a certificate),
 * and the write is read again from the log, from there to its seal. What is read is checked as the
 * rule checked it (the seal's root over the records' bytes, its signature by a trusted key), so a
 * proof handed out never rests on memory alone. The last few thousand proofs read are kept: paper
 * is printed, and its cache validated, for the same few certificates again and again.
 */
/** Proofs kept after they were read: a certificate's proof never changes, and paper asks for the same ones again. */
const REMEMBERED_PROOFS = 4096;

export class Receipts {
  /** By certificate id, with the fields' hash they were read for; oldest first. */
  private readonly remembered = new Map<string, { readonly fields: string; readonly proof: Proof }>();

  constructor(
    private readonly ledger: Pick<Ledger, 'read' | 'bounds'>,
    private readonly state: LogState,
    private readonly verifier: SealVerifier,
  ) {}

  /**
   * The certificate's proof, or undefined when its write was not signed (a certificate from before
   * signing). Rejects when the log cannot be read, or does not hold the write the state says it does.
   */
  async proofOf(certificate: Certificate): Promise<Proof | undefined> {
    const start = this.state.index(certificate.class)?.writeOf(certificate.number);
    if (start === undefined) return undefined;
    const fields = fieldsHash(certificate);
    const kept = this.remembered.get(certificate.id);
    if (kept?.fields === fields) return kept.proof;
    const proof = await this.readProof(certificate, start);
    this.remembered.set(certificate.id, { fields, proof });
    if (this.remembered.size > REMEMBERED_PROOFS) this.remembered.delete(this.remembered.keys().next().value!);
    return proof;
  }

  private async readProof(certificate: Certificate, start: number): Promise<Proof> {
    const { high } = await this.ledger.bounds();
    const records: Array<{ readonly record: CertificateRecord | EventRecord; readonly value: string }> = [];
    let sealed: { readonly offset: number; readonly seal: Seal } | undefined;
    await this.ledger.read(start, Math.min(high, start + MAX_RECORDS_PER_WRITE + 1), (entries) => {
      for (const entry of entries) {
        if (entry.seal !== undefined) {
          sealed = { offset: entry.offset, seal: entry.seal };
          return false;
        }
        // Inside a valid write every record decodes: the seal's root covers its bytes.
        // An event shares its write with the certificates it issued: its leaf is in the root too.
        if (entry.event !== undefined) {
          records.push({ record: entry.event, value: entry.value ?? encodeEvent(entry.event) });
          continue;
        }
        if (entry.record === undefined) throw new Error(`Expected a certificate record at offset ${entry.offset}, got: ${entry.malformed}`);
        records.push({ record: entry.record, value: entry.value ?? encodeValue(entry.record) });
      }
      return true;
    });
    return this.proofFrom(certificate, start, records, sealed);
  }

  private proofFrom(
    certificate: Certificate,
    start: number,
    records: ReadonlyArray<{ readonly record: CertificateRecord | EventRecord; readonly value: string }>,
    sealed: { readonly offset: number; readonly seal: Seal } | undefined,
  ): Proof {
    const at = `${certificate.id}'s write at offset ${start}`;
    if (sealed === undefined) throw new Error(`Expected ${at} to end in a seal, and found none`);
    const { offset, seal } = sealed;
    const hashed = records.map(({ record, value }) => leafOf(record, value));
    const valueHashes = hashed.map(({ valueHash }) => valueHash);
    const leaves = hashed.map(({ leaf }) => leaf);
    const index = records.findIndex(({ record }) => !('event' in record) && record.id === certificate.id);
    const text = headText(seal.head);
    if (
      index === -1 ||
      fieldsHash(records[index]!.record as CertificateRecord) !== fieldsHash(certificate) ||
      seal.head.first !== start ||
      merkleRoot(leaves) !== seal.head.root ||
      this.verifier.check(seal.head, text, seal.signature) !== 'ok'
    ) {
      throw new Error(`Expected ${at} to hold it under a valid seal, and the log says otherwise`);
    }
    return { valueHash: valueHashes[index]!, index, path: auditPaths(leaves)[index]!, seal: { ...seal, offset, hash: headHash(text) } };
  }
}
