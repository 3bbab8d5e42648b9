import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { KafkaSecurity } from '../kafka-security.js';
import { encodeRequest, MAX_ANSWER_BYTES, ResponseReader, stringSize, writeString, type RequestBody } from './frame.js';
import { KafkaWireError } from './kafka-error.js';
import { saslExchange } from './sasl.js';

const SASL_HANDSHAKE = { key: 17, version: 1 };
const SASL_AUTHENTICATE = { key: 36, version: 1 };

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export interface ConnectionOptions {
  readonly clientId: string;
  readonly security?: KafkaSecurity;
  readonly connectTimeoutMs: number;
  /** A request not answered within this long fails the connection: a broker that accepts but never answers (stopped, partitioned) must not hold a caller forever. */
  readonly requestTimeoutMs: number;
}

interface Pending {
  readonly resolve: (body: Buffer) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * One connection to one broker: requests go out in order and answers are matched to them by
 * correlation id; the broker answers a connection's requests in the order they came. When the
 * connection fails or is closed every request still waiting fails with a retriable error, since
 * it may or may not have reached the broker.
 */
export class BrokerConnection {
  private readonly pending = new Map<number, Pending>();
  private correlationId = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failure: KafkaWireError | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly address: BrokerAddress,
    private readonly clientId: string,
    private readonly requestTimeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (error) => this.fail(KafkaWireError.connection(`the connection to ${this.name} failed`, error)));
    socket.on('close', () => this.fail(KafkaWireError.connection(`the connection to ${this.name} closed`)));
  }

  /** Connects, over TLS when configured, and authenticates with SASL when configured. */
  static async open(address: BrokerAddress, options: ConnectionOptions): Promise<BrokerConnection> {
    const { tls, sasl } = options.security ?? {};
    const socket =
      tls === undefined
        ? connectTcp({ host: address.host, port: address.port })
        : connectTls({
            host: address.host,
            port: address.port,
            ...(isIP(address.host) === 0 ? { servername: address.host } : {}),
            rejectUnauthorized: tls.rejectUnauthorized,
            ...(tls.ca === undefined ? {} : { ca: [tls.ca] }),
            ...(tls.cert === undefined ? {} : { cert: tls.cert }),
            ...(tls.key === undefined ? {} : { key: tls.key }),
          });
    socket.setNoDelay(true);
    const name = `${address.host}:${address.port}`;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(KafkaWireError.connection(`connecting to ${name}: no answer within ${options.connectTimeoutMs} ms`));
      }, options.connectTimeoutMs);
      socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(KafkaWireError.connection(`connecting to ${name}`, error));
      });
    });
    const connection = new BrokerConnection(socket, address, options.clientId, options.requestTimeoutMs);
    if (sasl !== undefined) {
      try {
        await connection.authenticate(sasl);
      } catch (error) {
        connection.close();
        throw error;
      }
    }
    return connection;
  }

  get name(): string {
    return `${this.address.host}:${this.address.port}`;
  }

  /** False once the connection failed or was closed: open another. */
  get usable(): boolean {
    return this.failure === undefined;
  }

  /** Sends one request and resolves with the body of its answer (after the correlation id). */
  request(apiKey: number, apiVersion: number, body: RequestBody): Promise<Buffer> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.correlationId = (this.correlationId + 1) & 0x7fffffff;
    const correlationId = this.correlationId;
    const bytes = encodeRequest(apiKey, apiVersion, correlationId, this.clientId, body);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.fail(
            KafkaWireError.connection(`${this.name} did not answer request ${apiKey}/v${apiVersion} within ${this.requestTimeoutMs} ms`),
          ),
        this.requestTimeoutMs,
      );
      const settle =
        <T>(then: (value: T) => void) =>
        (value: T): void => {
          clearTimeout(timer);
          then(value);
        };
      this.pending.set(correlationId, { resolve: settle(resolve), reject: settle(reject) });
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.fail(KafkaWireError.connection(`the connection to ${this.name} was closed by this service`));
  }

  private fail(error: KafkaWireError): void {
    this.failure ??= error;
    this.socket.destroy();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of waiting) reject(this.failure);
  }

  private received(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const size = head.readInt32BE(0);
      if (size < 4 || size > MAX_ANSWER_BYTES) {
        this.fail(KafkaWireError.connection(`${this.name} sent an answer of ${size} bytes; expected 4 to ${MAX_ANSWER_BYTES} bytes`));
        return;
      }
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length === 0 ? [] : [rest];
      this.buffered = rest.length;
      const correlationId = frame.readInt32BE(0);
      const waiting = this.pending.get(correlationId);
      if (waiting === undefined) {
        this.fail(KafkaWireError.connection(`${this.name} answered correlation id ${correlationId}, which no request here is waiting for`));
        return;
      }
      this.pending.delete(correlationId);
      waiting.resolve(frame.subarray(4));
    }
  }

  private async authenticate(sasl: NonNullable<KafkaSecurity['sasl']>): Promise<void> {
    const exchange = saslExchange(sasl.mechanism, sasl.username, sasl.password);
    const handshake = new ResponseReader(
      await this.request(SASL_HANDSHAKE.key, SASL_HANDSHAKE.version, {
        size: stringSize(exchange.mechanism),
        write: (buffer, at) => writeString(buffer, at, exchange.mechanism),
      }),
    );
    const handshakeError = handshake.int16();
    if (handshakeError !== 0) throw KafkaWireError.fromCode(handshakeError, `SASL ${exchange.mechanism} with ${this.name}`);
    let message: Buffer | undefined = exchange.first();
    while (message !== undefined) {
      const bytes: Buffer = message;
      const answer = new ResponseReader(
        await this.request(SASL_AUTHENTICATE.key, SASL_AUTHENTICATE.version, {
          size: 4 + bytes.length,
          write: (buffer, at) => {
            at = buffer.writeInt32BE(bytes.length, at);
            return at + bytes.copy(buffer, at);
          },
        }),
      );
      const errorCode = answer.int16();
      const errorMessage = answer.string();
      if (errorCode !== 0) throw KafkaWireError.fromCode(errorCode, `SASL ${exchange.mechanism} with ${this.name}`, errorMessage);
      message = await exchange.next(answer.bytes() ?? Buffer.alloc(0));
    }
  }
}
