import type { ActorSnapshot } from '../actors/share-class-actor.js';
import type { Certificate, IssueRequest, Issued } from '../core/certificate.js';
import type { EventDone, EventRequest, LegendTemplate, LoggedEvent } from '../core/events.js';
import type { CertificatePage, PageQuery } from '../core/certificate-page.js';
import type { Change, ClassFigures, Standing, VoidNote } from '../core/log-state.js';
import type { Proof, SignedHead } from '../core/seal.js';

/**
 * What the HTTP edge needs of the service: issue a certificate or act on one (here, or through the
 * writer), look one up and where it stands, list the classes and their state. src/cluster/node.ts provides it.
 */
export interface Issuer {
  readonly classes: readonly string[];
  issue(request: IssueRequest): Promise<Issued>;
  /** An event on a certificate or a class (src/core/events.ts), here or through the writer. */
  act(request: EventRequest): Promise<EventDone>;
  /** Where a certificate this instance has read stands now. */
  standing(certificate: Certificate): Standing;
  /** A class's figures as this instance has read the log; undefined for a class not configured. */
  figures(shareClass: string): ClassFigures | undefined;
  /** Every certificate this instance has read whose terms name stakeholder `holder`. */
  heldBy(holder: string): Certificate[];
  /** Every valid event this instance has read, in log order. */
  events(): readonly LoggedEvent[];
  /** The legend templates this instance has read, in the order defined: what the paper prints of a certificate's legends. */
  legends(): LegendTemplate[];
  /** The certificate, undefined if the log holds none; throws a retryable error while that cannot be told. */
  find(shareClass: string, number: number): Promise<Certificate | undefined>;
  snapshots(): ActorSnapshot[];
  /** A signed certificate's proof (its receipt), read from the log; undefined when it was not signed. */
  proofOf(certificate: Certificate): Promise<Proof | undefined>;
  /** A page of a class's certificates as this instance has read them; undefined for a class not configured. */
  page(shareClass: string, query: PageQuery): CertificatePage | undefined;
  /** Calls `listener` with what this instance's state applies from now on (its own writes, or its tail), until the returned function is called. */
  subscribe(listener: (changes: readonly Change[]) => void): () => void;
  /** The void records this instance has seen: how many since start, and the newest of them with their reasons. */
  voids(): { readonly total: number; readonly recent: readonly VoidNote[] };
  /** The log's newest signed head as this instance holds it; undefined while the log is unsigned. */
  head(): SignedHead | undefined;
}
