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

/**
 * The path between instances (INTERNAL_PORT, CLUSTER_SECRET_FILE, INTERNAL_TLS_*): its own listener,
 * the secret instances prove membership with, and TLS when ADVERTISED_URL is https.
 */
export interface InternalSettings {
  /** The listener for /internal/* only, on HOST. */
  readonly port: number;
  /** The cluster secret (text, at least 32 bytes); undefined: this instance makes one of its own and trusts no other. */
  readonly secret: string | undefined;
  /** The internal listener's certificate and key, when ADVERTISED_URL is https. */
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  /** The CA a follower checks the writer's certificate against; undefined: the system's CAs. */
  readonly ca: string | undefined;
}
