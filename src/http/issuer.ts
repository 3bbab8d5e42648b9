import type { ActorSnapshot } from '../actors/share-class-actor.js';
import type { Certificate, IssueRequest, Issued } from '../core/certificate.js';
import type { LegendTemplate } from '../core/events.js';
import type { Standing } from '../core/log-state.js';
import type { Proof, SignedHead } from '../core/seal.js';

/**
 * What the HTTP edge needs of the service: issue a certificate (here, or through the writer), look
 * one up, list the classes and their state. src/cluster/node.ts provides it.
 */
export interface Issuer {
  readonly classes: readonly string[];
  issue(request: IssueRequest): Promise<Issued>;
  /** Where a certificate this instance has read stands now. */
  standing(certificate: Certificate): Standing;
  /** The legend templates this instance has read, in the order defined: what the paper prints of a certificate's legends. */
  legends(): LegendTemplate[];
  /** The certificate, undefined if the log holds none; throws a retryable error while that cannot be told. */
  find(shareClass: string, number: number): Promise<Certificate | undefined>;
  snapshots(): ActorSnapshot[];
  /** A signed certificate's proof (its receipt), read from the log; undefined when it was not signed. */
  proofOf(certificate: Certificate): Promise<Proof | undefined>;
  /** The log's newest signed head as this instance holds it; undefined while the log is unsigned. */
  head(): SignedHead | undefined;
}
