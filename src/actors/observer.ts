/**
 * What a share-class actor reports as it works, for whoever measures the service. The actor calls
 * these synchronously after the fact, so an implementation must be cheap and must not throw.
 */
export interface ActorObserver {
  /** A batch of `certificates` certificates reached the log in `ms` milliseconds. */
  batchCommitted(shareClass: string, certificates: number, ms: number): void;
  /** A commit failed; the actor will re-read the log before numbering again. */
  commitFailed(shareClass: string): void;
  /** The actor read its class from the log: at start, and again after a failed commit. */
  recovered(shareClass: string): void;
}
