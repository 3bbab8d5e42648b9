/** What a client asks for, after validation: the HTTP edge guarantees these invariants. */
export interface IssueRequest {
  readonly class: string;
  readonly name: string;
  readonly amount: number;
}

/** A certificate exactly as committed to the log; `sharesIssued` is the class's running total. */
export interface Certificate {
  readonly id: string;
  readonly class: string;
  readonly number: number;
  readonly name: string;
  readonly amount: number;
  readonly issuedAt: string;
  readonly sharesIssued: number;
}

export function certificateId(shareClass: string, number: number): string {
  return `${shareClass}-${number}`;
}
