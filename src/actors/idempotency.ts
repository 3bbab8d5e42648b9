import { CertificateError } from '../core/errors.js';
import type { Asked, Certificate, IssueRequest, Issued } from '../core/certificate.js';
import type { EventDone, EventRequest } from '../core/events.js';
import { eventKeyReused, sameEvent } from '../core/numbering.js';
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
 * The requests under one scoped key while the first of them is out: a later one asking the same
 * waits for the first's outcome and gets it as a replay (or the same error); one asking something
 * else is refused at once. So copies of a request sent at once (a client retrying an attempt it gave
 * up on, through another instance) never race each other to the log.
 */
class FirstOfKey<R, A> {
  private readonly first = new Map<string, { readonly request: R; readonly outcome: Promise<A> }>();

  constructor(
    private readonly same: (request: R, first: R) => boolean,
    private readonly reused: (request: R) => CertificateError,
    private readonly replayOf: (answer: A) => A,
  ) {}

  run(key: string, request: R, start: () => Promise<A>): Promise<A> {
    const first = this.first.get(key);
    if (first !== undefined) {
      if (!this.same(request, first.request)) return Promise.reject(this.reused(request));
      return first.outcome.then(this.replayOf);
    }
    const outcome = start();
    this.first.set(key, { request, outcome });
    const settled = (): void => void this.first.delete(key);
    outcome.then(settled, settled);
    return outcome;
  }
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
  private readonly inFlight = new FirstOfKey<IssueRequest, Issued>(sameRequest, keyReused, ({ certificate }) => ({
    certificate,
    replayed: true,
  }));

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
    // The actor answers `replayed` when the key's certificate reached the log while this request waited.
    return this.inFlight.run(key, request, () =>
      issue(request).then((issued) => (issued.replayed ? replay(request, issued.certificate) : issued)),
    );
  }

  private replayedFor(request: IssueRequest, scoped: string): Issued | undefined {
    const certificate = this.recall(scoped);
    return certificate === undefined ? undefined : replay(request, certificate);
  }
}

/**
 * Exactly one event per idempotency key and principal on the writer. The actor replays a key the
 * log answered when it numbers the request (src/core/numbering.ts); this makes a copy that arrives
 * while the first is still out wait for it. Without it both copies could be numbered in one batch,
 * where the second finds the certificate taken by the first and is refused
 * `certificate_not_outstanding` although its key's event is in the log.
 */
export class KeyedEvents {
  private readonly inFlight = new FirstOfKey<EventRequest, EventDone>(
    (request, first) => sameEvent(request, first),
    (request) => eventKeyReused(request.idempotencyKey!),
    (done) => ({ ...done, replayed: true }),
  );

  act(request: EventRequest, act: (request: EventRequest) => Promise<EventDone>): Promise<EventDone> {
    if (request.idempotencyKey === undefined) return act(request);
    return this.inFlight.run(scopedKey(request.principal, request.idempotencyKey), request, () => act(request));
  }
}
