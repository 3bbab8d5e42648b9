import { certificateId, type Certificate } from './certificate.js';

const INITIAL_CAPACITY = 1024;

/**
 * Every committed certificate of one class, by number. A class's certificates are contiguous
 * 1..count, so the index is columns indexed by number - 1 rather than a map: per certificate two
 * doubles (amount, running total), a pointer to the name and a pointer to `issuedAt`, which
 * consecutive certificates of one batch share. The id, class and number are derived.
 */
export class CertificateIndex {
  readonly shareClass: string;
  private amounts = new Float64Array(INITIAL_CAPACITY);
  private totals = new Float64Array(INITIAL_CAPACITY);
  private readonly names: string[] = [];
  private readonly issuedAts: string[] = [];

  constructor(shareClass: string) {
    this.shareClass = shareClass;
  }

  get count(): number {
    return this.names.length;
  }

  /** The class's running total of shares after the newest certificate. */
  get sharesIssued(): number {
    return this.count === 0 ? 0 : this.totals[this.count - 1]!;
  }

  /**
   * Appends the next certificate. The validity rule admits only the next number of the class, so
   * anything else is a bug in this process, never a state of the log: fail loudly, keep what we had.
   */
  add(certificate: Certificate): void {
    const expected = this.count + 1;
    if (certificate.class !== this.shareClass || certificate.number !== expected) {
      throw new Error(`Expected ${certificateId(this.shareClass, expected)} next in the index, got ${certificate.id}`);
    }
    if (this.count === this.amounts.length) this.grow();
    const at = this.count;
    this.amounts[at] = certificate.amount;
    this.totals[at] = certificate.sharesIssued;
    this.names.push(certificate.name);
    const previous = this.issuedAts[at - 1];
    this.issuedAts.push(previous === certificate.issuedAt ? previous : certificate.issuedAt);
  }

  get(number: number): Certificate | undefined {
    if (!Number.isSafeInteger(number) || number < 1 || number > this.count) return undefined;
    const at = number - 1;
    return {
      id: certificateId(this.shareClass, number),
      class: this.shareClass,
      number,
      name: this.names[at]!,
      amount: this.amounts[at]!,
      issuedAt: this.issuedAts[at]!,
      sharesIssued: this.totals[at]!,
    };
  }

  private grow(): void {
    const capacity = this.amounts.length * 2;
    const amounts = new Float64Array(capacity);
    amounts.set(this.amounts);
    const totals = new Float64Array(capacity);
    totals.set(this.totals);
    this.amounts = amounts;
    this.totals = totals;
  }
}
