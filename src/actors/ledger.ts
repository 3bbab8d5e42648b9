import type { Certificate } from './certificate.js';

/**
 * The port through which actors reach the durable log. The actor needs only these two things;
 * `src/log` implements them over Kafka, and unit tests of pure sequencing logic use a fake.
 */
export interface Ledger {
  /**
   * Durably appends the certificates, in order, as one atomic write. Resolves only once the log
   * has acknowledged them; rejects if it cannot say so (the write may or may not have landed).
   */
  append(certificates: readonly Certificate[]): Promise<void>;
  /**
   * Delivers, oldest first, every committed certificate of the class numbered above `afterNumber`:
   * the whole class at start (0), or what a commit whose acknowledgement was lost may have added.
   */
  readSince(shareClass: string, afterNumber: number, onCertificate: (certificate: Certificate) => void): Promise<void>;
}
