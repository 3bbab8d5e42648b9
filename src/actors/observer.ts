/**
 * What a share-class actor reports as it works, for whoever measures the service. The actor calls
 * these synchronously after the fact, so an implementation must be cheap and must not throw.
 */
export interface ActorObserver {
  /** `certificates` certificates of a batch reached the log as valid, `ms` milliseconds after its write started. */
  batchCommitted(shareClass: string, certificates: number, ms: number): void;
  /** A commit failed and the log could not be read: its requests were answered `log_unavailable`. */
  commitFailed(shareClass: string): void;
  /** `requests` requests are numbered again because their previous write was void. */
  renumbered(shareClass: string, requests: number): void;
}
