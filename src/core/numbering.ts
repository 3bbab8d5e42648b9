import { certificateId, type Certificate, type CertificateRecord, type IssueRequest } from './certificate.js';
import { scopedKey } from './provenance.js';
import type { ShareClassConfig } from './share-class.js';

/** What numbering reads of the log state: each class's newest certificate, and the remembered keys. */
export interface NumberingState {
  index(shareClass: string): { readonly count: number; readonly sharesIssued: number } | undefined;
  /** The certificate issued for an idempotency key in its principal's scope (scopedKey), if remembered at `atMs`. */
  recall(scoped: string, atMs: number): Certificate | undefined;
}

/** How a batch of one class was numbered; positions are indexes into the batch numbered. */
export interface Numbered {
  /** The records to write, in the batch's order: contiguous numbers after the class's newest certificate. */
  readonly records: CertificateRecord[];
  /** For each record, the position of the request it was numbered for. */
  readonly positions: number[];
  /** Requests whose idempotency key the log answered already: settled with that certificate; they take no number. */
  readonly replayed: Array<{ readonly position: number; readonly certificate: Certificate }>;
  /** Requests the remaining shares cannot cover, with the shares that remained when each was judged. */
  readonly refused: Array<{ readonly position: number; readonly remaining: number }>;
}

/**
 * Numbers the requests, in order, after the class's newest certificate in `state`, all issued at
 * `now`, each record naming its request by `writerRequest(position)` (the id the writer knows its
 * own attempts by) and who asked under which `Request-Id`; refuses those the remaining shares cannot cover (a smaller one behind a refused one still
 * fits). A request whose idempotency key the log has answered meanwhile (another instance, an earlier
 * life of this one, a write whose answer was lost) is settled with that certificate instead: it
 * takes no number and no shares. Pure: it reads `state` and changes nothing.
 */
export function numberBatch(
  state: NumberingState,
  shareClass: ShareClassConfig,
  batch: readonly IssueRequest[],
  writerRequest: (position: number) => string,
  now: Date,
): Numbered {
  const { code, authorized } = shareClass;
  const issuedAt = now.toISOString();
  const at = now.getTime();
  const newest = state.index(code);
  if (newest === undefined) throw new Error(`Expected class ${code} in the log state, which has no index for it`);
  let number = newest.count;
  let sharesIssued = newest.sharesIssued;
  const numbered: Numbered = { records: [], positions: [], replayed: [], refused: [] };
  batch.forEach(({ amount, name, idempotencyKey, principal, requestId }, position) => {
    const earlier = idempotencyKey === undefined ? undefined : state.recall(scopedKey(principal, idempotencyKey), at);
    if (earlier !== undefined) {
      numbered.replayed.push({ position, certificate: earlier });
      return;
    }
    const remaining = authorized - sharesIssued;
    if (amount > remaining) {
      numbered.refused.push({ position, remaining });
      return;
    }
    number += 1;
    sharesIssued += amount;
    numbered.records.push({
      id: certificateId(code, number),
      class: code,
      number,
      name,
      amount,
      issuedAt,
      sharesIssued,
      request: writerRequest(position),
      principal,
      requestId,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
    numbered.positions.push(position);
  });
  return numbered;
}
