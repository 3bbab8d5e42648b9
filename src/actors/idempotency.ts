import { CertificateError } from '../core/errors.js';
import type { Certificate, IssueRequest, Issued } from '../core/certificate.js';

type Asked = Pick<IssueRequest, 'class' | 'name' | 'amount'>;

/** A retry asks for what its key's first request asked when class, name and amount are the same. */
function sameRequest(request: Asked, first: Asked): boolean {
  return request.class === first.class && request.name === first.name && request.amount === first.amount;
}

const describe = ({ amount, class: shareClass, name }: Asked): string => `${amount} ${shareClass} shares for ${JSON.stringify(name)}`;

function keyReused(request: IssueRequest, first: Asked, certificate?: Certificate): CertificateError {
  const key = request.idempotencyKey!;
  return new CertificateError(
    'idempotency_key_reused',
    `Idempotency-Key ${JSON.stringify(key)} was first used to ask for ${describe(first)}` +
      `${certificate === undefined ? '' : ` (certificate ${certificate.id})`}; this request asks for ${describe(request)}. ` +
      'Nothing was issued: use a new key for a new request',
    { details: { idempotencyKey: key, ...(certificate === undefined ? {} : { certificate: certificate.id }) } },
  );
}

/** The answer to a request whose key already has a certificate: that certificate, if the request asks for the same. */
export function replay(request: IssueRequest, certificate: Certificate): Issued {
  if (!sameRequest(request, certificate)) throw keyReused(request, certificate, certificate);
  return { certificate, replayed: true };
}

/**
 * Exactly one issuance per idempotency key on the writer. A key the log already answered is
 * replayed from it; a key whose first request is still being issued makes the later ones wait for
 * that outcome (the certificate, or the same retryable error), so concurrent retries never race
 * each other to the log. What the log decides stays the rule: the actor checks keys again when it
 * numbers, and the writer writes no record whose key the log has answered (src/core/log-state.ts).
 */
export class KeyedRequests {
  private readonly inFlight = new Map<string, { readonly request: IssueRequest; readonly outcome: Promise<Issued> }>();

  constructor(private readonly recall: (key: string) => Certificate | undefined) {}

  /** The replay of a request whose key the log answered; undefined when it has no key or the key is not remembered. */
  replayed(request: IssueRequest): Issued | undefined {
    const key = request.idempotencyKey;
    const certificate = key === undefined ? undefined : this.recall(key);
    return certificate === undefined ? undefined : replay(request, certificate);
  }

  issue(request: IssueRequest, issue: (request: IssueRequest) => Promise<Issued>): Promise<Issued> {
    const key = request.idempotencyKey;
    if (key === undefined) return issue(request);
    try {
      const replayed = this.replayed(request);
      if (replayed !== undefined) return Promise.resolve(replayed);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const first = this.inFlight.get(key);
    if (first !== undefined) {
      if (!sameRequest(request, first.request)) return Promise.reject(keyReused(request, first.request));
      return first.outcome.then(({ certificate }) => ({ certificate, replayed: true }));
    }
    // The actor answers `replayed` when the key's certificate reached the log while this request waited.
    const outcome = issue(request).then((issued) => (issued.replayed ? replay(request, issued.certificate) : issued));
    this.inFlight.set(key, { request, outcome });
    const settled = (): void => void this.inFlight.delete(key);
    outcome.then(settled, settled);
    return outcome;
  }
}
