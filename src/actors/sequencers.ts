import { CertificateError } from '../errors.js';
import type { Certificate, IssueRequest } from './certificate.js';
import type { Ledger } from './ledger.js';
import { ShareClassActor, type ActorOptions, type ActorSnapshot, type ShareClassConfig } from './share-class-actor.js';

/**
 * What the HTTP edge sees of the sequencing core: issue a certificate, look one up, list the classes
 * and their state. It routes each request to its class's actor; classes never wait on one another.
 */
export interface Issuer {
  readonly classes: readonly string[];
  issue(request: IssueRequest): Promise<Certificate>;
  /** The committed certificate, undefined if there is none; throws log_unavailable while the answer is unknown. */
  find(shareClass: string, number: number): Certificate | undefined;
  snapshots(): ActorSnapshot[];
}

export class Sequencers implements Issuer {
  readonly classes: readonly string[];
  private readonly actors: ReadonlyMap<string, ShareClassActor>;

  constructor(shareClasses: readonly ShareClassConfig[], ledger: Ledger, options: ActorOptions = {}) {
    this.actors = new Map(shareClasses.map((shareClass) => [shareClass.code, new ShareClassActor(shareClass, ledger, options)]));
    this.classes = [...this.actors.keys()];
  }

  issue(request: IssueRequest): Promise<Certificate> {
    const actor = this.actors.get(request.class);
    if (actor === undefined) {
      return Promise.reject(
        new CertificateError(
          'unknown_class',
          `Expected \`class\` to be one of ${this.classes.join(', ')}, got ${JSON.stringify(request.class)}`,
          {
            details: { classes: this.classes },
          },
        ),
      );
    }
    return actor.issue(request);
  }

  find(shareClass: string, number: number): Certificate | undefined {
    const actor = this.actors.get(shareClass);
    const certificate = actor?.find(number);
    if (certificate === undefined && actor?.snapshot().ready === false) {
      throw new CertificateError(
        'log_unavailable',
        `Cannot tell whether ${shareClass}-${number} exists until the log is read again; retry later`,
      );
    }
    return certificate;
  }

  recoverAll(): Promise<void> {
    return Promise.all([...this.actors.values()].map((actor) => actor.recover())).then(() => undefined);
  }

  closeAll(): Promise<void> {
    return Promise.all([...this.actors.values()].map((actor) => actor.close())).then(() => undefined);
  }

  snapshots(): ActorSnapshot[] {
    return [...this.actors.values()].map((actor) => actor.snapshot());
  }
}
