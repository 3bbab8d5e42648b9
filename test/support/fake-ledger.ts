import type { Certificate } from '../../src/actors/certificate.js';
import type { Ledger } from '../../src/actors/ledger.js';

/**
 * An in-memory Ledger for unit tests of the actor's pure sequencing logic. Every invariant it
 * helps check here is also proven against real Kafka in the end-to-end tests.
 */
export class FakeLedger implements Ledger {
  readonly records: Certificate[] = [];
  readonly appends: number[] = [];
  /** Next append fails; `landed` says whether it reached the log before failing (a lost ack). */
  failNext: { landed: boolean } | undefined;
  failReads = false;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  /** Holds every append until `release()`, so a test can pile requests up behind a commit. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async append(certificates: readonly Certificate[]): Promise<void> {
    this.appends.push(certificates.length);
    await this.gate;
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure?.landed) this.records.push(...certificates);
    if (failure) throw new Error('broker went away');
    this.records.push(...certificates);
  }

  async readSince(shareClass: string, afterNumber: number, onCertificate: (certificate: Certificate) => void): Promise<void> {
    if (this.failReads) throw new Error('broker unreachable');
    for (const certificate of this.records)
      if (certificate.class === shareClass && certificate.number > afterNumber) onCertificate(certificate);
  }
}
