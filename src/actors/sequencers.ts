import type { Certificate, IssueRequest, Issued } from '../core/certificate.js';
import type { EventDone, EventRequest } from '../core/events.js';
import { CertificateError } from '../core/errors.js';
import type { LogState } from '../core/log-state.js';
import { isPrincipalId, isRequestId } from '../core/provenance.js';
import { unknownClass, type ShareClassConfig } from '../core/share-class.js';
import { KeyedEvents, KeyedRequests } from './idempotency.js';
import type { LogWriter } from './log-writer.js';
import { ShareClassActor, type ActorOptions, type ActorSnapshot } from './share-class-actor.js';

/** One actor per class over the shared log state and writer; classes never wait on one another. */
export class Sequencers {
  readonly classes: readonly string[];
  private readonly actors: ReadonlyMap<string, ShareClassActor>;
  private readonly keyed: KeyedRequests;
  private readonly keyedEvents = new KeyedEvents();

  constructor(shareClasses: readonly ShareClassConfig[], state: LogState, writer: LogWriter, options: ActorOptions) {
    this.actors = new Map(shareClasses.map((shareClass) => [shareClass.code, new ShareClassActor(shareClass, state, writer, options)]));
    this.classes = [...this.actors.keys()];
    this.keyed = new KeyedRequests((scoped) => state.recall(scoped, options.now().getTime()));
  }

  issue(request: IssueRequest): Promise<Issued> {
    const actor = this.actors.get(request.class);
    if (actor === undefined) return Promise.reject(unknownClass(this.classes, request.class));
    // The edge and the forwarded parser bound both; a record that broke the rule would be void once written.
    if (!isPrincipalId(request.principal) || !isRequestId(request.requestId)) {
      return Promise.reject(new CertificateError('internal', 'Expected the request to name its principal and request id as a record can'));
    }
    return this.keyed.issue(request, (keyed) => actor.issue(keyed));
  }

  /**
   * An event on a class (src/core/events.ts), numbered by its actor in turn with the issuances. Its
   * key is checked against the log when it is numbered, and the writer writes no record whose key the
   * log answered; a copy arriving while the first request with its key is out waits for its answer.
   */
  act(request: EventRequest): Promise<EventDone> {
    const actor = this.actors.get(request.class);
    if (actor === undefined) return Promise.reject(unknownClass(this.classes, request.class));
    if (!isPrincipalId(request.principal) || !isRequestId(request.requestId)) {
      return Promise.reject(new CertificateError('internal', 'Expected the request to name its principal and request id as a record can'));
    }
    return this.keyedEvents.act(request, (keyed) => actor.act(keyed));
  }

  /** The answer to a request whose idempotency key this instance has read in the log; undefined if none. */
  replayed(request: IssueRequest): Issued | undefined {
    return this.keyed.replayed(request);
  }

  /** What this instance has read of the log; a miss may still be in the log past that. */
  find(shareClass: string, number: number): Certificate | undefined {
    return this.actors.get(shareClass)?.find(number);
  }

  /** True while no actor has a request waiting or a batch being committed. */
  get idle(): boolean {
    for (const actor of this.actors.values()) if (!actor.idle) return false;
    return true;
  }

  /** Resolves once no actor has a request waiting or a batch being committed. */
  async whenIdle(): Promise<void> {
    await Promise.all([...this.actors.values()].map((actor) => actor.whenIdle()));
  }

  closeAll(): Promise<void> {
    return Promise.all([...this.actors.values()].map((actor) => actor.close())).then(() => undefined);
  }

  snapshots(): ActorSnapshot[] {
    return [...this.actors.values()].map((actor) => actor.snapshot());
  }
}
