/** How this instance takes part in the writer election and reaches the writer (ADVERTISED_URL, WRITER_*). */
export interface ClusterSettings {
  /** Where the other instances reach this one (forwarded POSTs go to the writer's). */
  readonly advertisedUrl: string;
  /** The consumer group that elects the writer. */
  readonly writerGroup: string;
  /** A writer that stops heartbeating is replaced after this long. */
  readonly writerSessionTimeoutMs: number;
  /** How long a POST waits for a writer to be known before `503 no_writer`. */
  readonly writerWaitMs: number;
}
