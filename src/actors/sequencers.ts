import { CertificateError } from '../errors.js';
import type { Certificate, IssueRequest, Issued } from './certificate.js';
import { KeyedRequests } from './idempotency.js';
import type { LogState } from './log-state.js';
import type { LogWriter } from './log-writer.js';
import { ShareClassActor, type ActorOptions, type ActorSnapshot, type ShareClassConfig } from './share-class-actor.js';

/**
 * What the HTTP edge sees of the service: issue a certificate (here, or through the writer), look
 * one up, list the classes and their state.
 */
export interface Issuer {
  readonly classes: readonly string[];
  issue(request: IssueRequest): Promise<Issued>;
  /** The certificate, undefined if the log holds none; throws a retryable error while that cannot be told. */
  find(shareClass: string, number: number): Promise<Certificate | undefined>;
  snapshots(): ActorSnapshot[];
}

export function unknownClass(classes: readonly string[], got: string): CertificateError {
  return new CertificateError('unknown_class', `Expected \`class\` to be one of ${classes.join(', ')}, got ${JSON.stringify(got)}`, {
    details: { classes },
  });
}

/** One actor per class over the shared log state and writer; classes never wait on one another. */
export class Sequencers {
  readonly classes: readonly string[];
  private readonly actors: ReadonlyMap<string, ShareClassActor>;
  private readonly keyed: KeyedRequests;

  constructor(shareClasses: readonly ShareClassConfig[], state: LogState, writer: LogWriter, options: ActorOptions = {}) {
    this.actors = new Map(shareClasses.map((shareClass) => [shareClass.code, new ShareClassActor(shareClass, state, writer, options)]));
    this.classes = [...this.actors.keys()];
    const now = options.now ?? (() => new Date());
    this.keyed = new KeyedRequests((key) => state.recall(key, now().getTime()));
  }

  issue(request: IssueRequest): Promise<Issued> {
    const actor = this.actors.get(request.class);
    if (actor === undefined) return Promise.reject(unknownClass(this.classes, request.class));
    return this.keyed.issue(request, (keyed) => actor.issue(keyed));
  }

  /** The answer to a request whose idempotency key this instance has read in the log; undefined if none. */
  replayed(request: IssueRequest): Issued | undefined {
    return this.keyed.replayed(request);
  }

  /** What this instance has read of the log; a miss may still be in the log past that. */
  find(shareClass: string, number: number): Certificate | undefined {
    return this.actors.get(shareClass)?.find(number);
  }

  closeAll(): Promise<void> {
    return Promise.all([...this.actors.values()].map((actor) => actor.close())).then(() => undefined);
  }

  snapshots(): ActorSnapshot[] {
    return [...this.actors.values()].map((actor) => actor.snapshot());
  }
}
