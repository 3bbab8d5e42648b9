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
  /** The newest committed certificate of the class, or undefined if the class has none yet. */
  lastOf(shareClass: string): Promise<Certificate | undefined>;
}
