import { BrokerConnection, type BrokerAddress, type ConnectionOptions } from './broker-connection.js';
import { KafkaWireError } from './kafka-error.js';
import type { RequestBody } from './frame.js';
import { PRODUCE_API_KEY, PRODUCE_VERSION, produceBody, producedOffset, type KeyedValue } from './produce-request.js';

export interface PartitionProducerOptions extends ConnectionOptions {
  readonly topic: string;
  readonly partition: number;
  /** Tries of one produce when the broker says trying again can help (the first included). */
  readonly attempts: number;
  /** Waits between tries: this, doubled each time, at most `maxBackoffMs`. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Finds the partition's leader now (a metadata request). */
  readonly locateLeader: () => Promise<BrokerAddress>;
}

/**
 * Produces record batches to one partition's leader, acks=all, over a connection of its own. It
 * exists for the cost: kafkajs spends ~0.5 ms of CPU on a 10-record produce, this path ~0.15 ms
 * (bench/produce-cost.ts), and the certificate log's throughput is bounded by this process's CPU.
 * A produce the broker refuses with a retriable error (a leader moving, replicas catching up) or
 * that loses its connection is tried again, on a leader looked up again when it may have moved;
 * a retried write that landed twice is harmless under the log's rule (src/core/validity.ts).
 */
export class PartitionProducer {
  private connection: Promise<BrokerConnection> | undefined;
  /** The connection once open, to tell readiness without waiting. */
  private opened: BrokerConnection | undefined;

  constructor(private readonly options: PartitionProducerOptions) {}

  /** True while a connection to the leader is open. */
  get ready(): boolean {
    return this.opened?.usable === true;
  }

  /** Opens the connection to the leader if none is open. */
  async connect(): Promise<void> {
    await this.leader();
  }

  /**
   * Appends the records as one batch and resolves with the offset the first landed at. Gives up
   * after `timeoutMs` (the connection is dropped, so no later answer can count) or when the broker
   * refuses for good.
   */
  async produce(records: readonly KeyedValue[], timeoutMs: number): Promise<number> {
    const { topic, partition } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const state = { abandoned: false };
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        state.abandoned = true;
        this.drop();
        reject(
          new KafkaWireError(`producing to ${topic}-${partition}: no acknowledgement within ${timeoutMs} ms`, {
            retriable: true,
            staleLeader: true,
          }),
        );
      }, timeoutMs);
    });
    const tries = this.tries(produceBody(topic, partition, -1, timeoutMs, records), Date.now() + timeoutMs, state);
    try {
      return await Promise.race([tries, timeout]);
    } finally {
      clearTimeout(timer);
      // Abandoned tries stop at their next step; what they reject with then is nobody's answer.
      tries.catch(() => undefined);
    }
  }

  private async tries(body: RequestBody, deadline: number, state: { readonly abandoned: boolean }): Promise<number> {
    const { topic, partition } = this.options;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const connection = await this.leader();
        if (state.abandoned) throw new Error('abandoned');
        return producedOffset(await connection.request(PRODUCE_API_KEY, PRODUCE_VERSION, body), topic, partition);
      } catch (error) {
        const wire = error instanceof KafkaWireError ? error : KafkaWireError.connection(`producing to ${topic}-${partition}`, error);
        if (wire.staleLeader && !state.abandoned) this.drop();
        const backoff = Math.min(this.options.backoffMs * 2 ** (attempt - 1), this.options.maxBackoffMs);
        if (state.abandoned || !wire.retriable || attempt >= this.options.attempts || Date.now() + backoff >= deadline) throw wire;
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }

  close(): void {
    this.drop();
  }

  private leader(): Promise<BrokerConnection> {
    const current = this.connection;
    if (current !== undefined) {
      return current.then((connection) => {
        if (connection.usable) return connection;
        if (this.connection === current) this.drop();
        return this.leader();
      });
    }
    const opening = (async () => BrokerConnection.open(await this.options.locateLeader(), this.options))();
    this.connection = opening;
    opening.then(
      (connection) => {
        if (this.connection === opening) this.opened = connection;
      },
      () => {
        if (this.connection === opening) this.drop();
      },
    );
    return opening;
  }

  private drop(): void {
    const dropped = this.connection;
    this.connection = undefined;
    this.opened = undefined;
    dropped?.then(
      (connection) => connection.close(),
      () => undefined,
    );
  }
}
