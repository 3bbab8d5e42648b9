import { CertificateError } from '../core/errors.js';
import type { Asked, Certificate, IssueRequest, Issued } from '../core/certificate.js';
import { scopedKey } from '../core/provenance.js';

type Content = Pick<Asked, 'class' | 'name' | 'amount'>;

/** A retry asks for what its key's first request asked when class, name and amount are the same. */
function sameRequest(request: Content, first: Content): boolean {
  return request.class === first.class && request.name === first.name && request.amount === first.amount;
}

/**
 * Says that the key asked for something else first, never what: the message and its details hold
 * no name, amount or certificate of the first request, so a key, however it leaked, reads nothing.
 */
function keyReused(request: IssueRequest): CertificateError {
  const key = request.idempotencyKey!;
  return new CertificateError(
    'idempotency_key_reused',
    `Expected a retry of the request Idempotency-Key ${JSON.stringify(key)} was first used for, got a different class, name or amount. ` +
      'Nothing was issued: use a new key for a new request',
    { details: { idempotencyKey: key } },
  );
}

/** The answer to a request whose key already has a certificate: that certificate, if the request asks for the same. */
export function replay(request: IssueRequest, certificate: Certificate): Issued {
  if (!sameRequest(request, certificate)) throw keyReused(request);
  return { certificate, replayed: true };
}

/**
 * Exactly one issuance per idempotency key and principal on the writer (scopedKey: another
 * principal's key never replays or refuses this one). A key the log already answered is
 * replayed from it; a key whose first request is still being issued makes the later ones wait for
 * that outcome (the certificate, or the same retryable error), so concurrent retries never race
 * each other to the log. What the log decides stays the rule: the actor checks keys again when it
 * numbers, and the writer writes no record whose key the log has answered (src/core/log-state.ts).
 */
export class KeyedRequests {
  private readonly inFlight = new Map<string, { readonly request: IssueRequest; readonly outcome: Promise<Issued> }>();

  /** `recall` finds the certificate of a scoped key (scopedKey) in the log. */
  constructor(private readonly recall: (scoped: string) => Certificate | undefined) {}

  /** The replay of a request whose key the log answered; undefined when it has no key or the key is not remembered. */
  replayed(request: IssueRequest): Issued | undefined {
    const key = request.idempotencyKey;
    return key === undefined ? undefined : this.replayedFor(request, scopedKey(request.principal, key));
  }

  issue(request: IssueRequest, issue: (request: IssueRequest) => Promise<Issued>): Promise<Issued> {
    if (request.idempotencyKey === undefined) return issue(request);
    const key = scopedKey(request.principal, request.idempotencyKey);
    try {
      const replayed = this.replayedFor(request, key);
      if (replayed !== undefined) return Promise.resolve(replayed);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const first = this.inFlight.get(key);
    if (first !== undefined) {
      if (!sameRequest(request, first.request)) return Promise.reject(keyReused(request));
      return first.outcome.then(({ certificate }) => ({ certificate, replayed: true }));
    }
    // The actor answers `replayed` when the key's certificate reached the log while this request waited.
    const outcome = issue(request).then((issued) => (issued.replayed ? replay(request, issued.certificate) : issued));
    this.inFlight.set(key, { request, outcome });
    const settled = (): void => void this.inFlight.delete(key);
    outcome.then(settled, settled);
    return outcome;
  }

  private replayedFor(request: IssueRequest, scoped: string): Issued | undefined {
    const certificate = this.recall(scoped);
    return certificate === undefined ? undefined : replay(request, certificate);
  }
}
