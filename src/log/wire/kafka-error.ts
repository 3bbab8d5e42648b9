/** The code a broker answers for a topic or partition it does not have. */
export const UNKNOWN_TOPIC_OR_PARTITION = 3;

/**
 * The broker's error codes the produce path can meet, by name, with whether trying again can help
 * and whether the partition's leader must be looked up again first. A code not listed here is
 * reported by number and not retried.
 */
const KNOWN: ReadonlyMap<number, { readonly name: string; readonly retriable: boolean; readonly leader?: boolean }> = new Map([
  [-1, { name: 'UNKNOWN_SERVER_ERROR', retriable: false }],
  [2, { name: 'CORRUPT_MESSAGE', retriable: true }],
  [UNKNOWN_TOPIC_OR_PARTITION, { name: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true, leader: true }],
  [5, { name: 'LEADER_NOT_AVAILABLE', retriable: true, leader: true }],
  [6, { name: 'NOT_LEADER_OR_FOLLOWER', retriable: true, leader: true }],
  [7, { name: 'REQUEST_TIMED_OUT', retriable: true }],
  [10, { name: 'MESSAGE_TOO_LARGE', retriable: false }],
  [13, { name: 'NETWORK_EXCEPTION', retriable: true, leader: true }],
  [18, { name: 'RECORD_LIST_TOO_LARGE', retriable: false }],
  [19, { name: 'NOT_ENOUGH_REPLICAS', retriable: true }],
  [20, { name: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', retriable: true }],
  [29, { name: 'TOPIC_AUTHORIZATION_FAILED', retriable: false }],
  [33, { name: 'UNSUPPORTED_SASL_MECHANISM', retriable: false }],
  [34, { name: 'ILLEGAL_SASL_STATE', retriable: false }],
  [35, { name: 'UNSUPPORTED_VERSION', retriable: false }],
  [56, { name: 'KAFKA_STORAGE_ERROR', retriable: true, leader: true }],
  [58, { name: 'SASL_AUTHENTICATION_FAILED', retriable: false }],
  [74, { name: 'FENCED_LEADER_EPOCH', retriable: true, leader: true }],
  [87, { name: 'INVALID_RECORD', retriable: false }],
]);

/** An answer from the broker that carried an error code, or a connection that failed under a request. */
export class KafkaWireError extends Error {
  /** Trying the same request again may succeed. */
  readonly retriable: boolean;
  /** The partition's leader may have moved: look it up before trying again. */
  readonly staleLeader: boolean;

  constructor(message: string, options: { retriable: boolean; staleLeader: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KafkaWireError';
    this.retriable = options.retriable;
    this.staleLeader = options.staleLeader;
  }

  static fromCode(code: number, what: string, detail?: string | null): KafkaWireError {
    const known = KNOWN.get(code);
    const name = known?.name ?? `error code ${code}`;
    return new KafkaWireError(`${what}: the broker answered ${name}${detail ? ` (${detail})` : ''}`, {
      retriable: known?.retriable ?? false,
      staleLeader: known?.leader ?? false,
    });
  }

  /** The connection closed or failed: the request may or may not have reached the broker. */
  static connection(what: string, cause?: unknown): KafkaWireError {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    return new KafkaWireError(`${what}${reason}`, { retriable: true, staleLeader: true, cause });
  }
}
