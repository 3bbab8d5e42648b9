import { CertificateError } from '../errors.js';
import type { Certificate, IssueRequest } from './certificate.js';
import type { LogState } from './log-state.js';
import type { LogWriter } from './log-writer.js';
import { ShareClassActor, type ActorOptions, type ActorSnapshot, type ShareClassConfig } from './share-class-actor.js';

/**
 * What the HTTP edge sees of the service: issue a certificate (here, or through the writer), look
 * one up, list the classes and their state.
 */
export interface Issuer {
  readonly classes: readonly string[];
  issue(request: IssueRequest): Promise<Certificate>;
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

  constructor(shareClasses: readonly ShareClassConfig[], state: LogState, writer: LogWriter, options: ActorOptions = {}) {
    this.actors = new Map(shareClasses.map((shareClass) => [shareClass.code, new ShareClassActor(shareClass, state, writer, options)]));
    this.classes = [...this.actors.keys()];
  }

  issue(request: IssueRequest): Promise<Certificate> {
    const actor = this.actors.get(request.class);
    if (actor === undefined) return Promise.reject(unknownClass(this.classes, request.class));
    return actor.issue(request);
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
