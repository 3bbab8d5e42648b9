import { createServer, type Server, type Socket } from 'node:net';

/** One request as a Kafka client frames it (request header v1): what a hostile broker needs to answer it. */
export interface Request {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string;
  /** What follows the header. */
  readonly body: Buffer;
}

/** What the hostile broker sends for a request: a body to frame, raw bytes to send as they are, or nothing. */
export type Answer = { readonly body: Buffer } | { readonly raw: Buffer } | undefined;

const int16 = (value: number): Buffer => Buffer.from([(value >> 8) & 0xff, value & 0xff]);
const int32 = (value: number): Buffer => {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
};
const string = (text: string): Buffer => Buffer.concat([int16(Buffer.byteLength(text)), Buffer.from(text)]);
const bytes = (data: Buffer): Buffer => Buffer.concat([int32(data.length), data]);

/** ApiVersions (v0 to v2): the broker speaks SaslHandshake v0-1, SaslAuthenticate v0-1 and Metadata v0-4. */
export function apiVersionsBody(version: number): Buffer {
  const apis = [
    [17, 0, 1],
    [36, 0, 1],
    [3, 0, 4],
    [18, 0, 2],
  ];
  return Buffer.concat([
    int16(0),
    int32(apis.length),
    ...apis.map(([key, min, max]) => Buffer.concat([int16(key!), int16(min!), int16(max!)])),
    ...(version >= 1 ? [int32(0)] : []),
  ]);
}

export const saslHandshakeBody = (mechanism: string): Buffer => Buffer.concat([int16(0), int32(1), string(mechanism)]);

/** The SASL message in a SaslAuthenticate request's body. */
export const saslMessage = (body: Buffer): string => body.subarray(4, 4 + body.readInt32BE(0)).toString();

/** A SaslAuthenticate answer carrying the mechanism's message (v1 adds the session lifetime). */
export const saslAuthenticateBody = (version: number, message: string): Buffer =>
  Buffer.concat([int16(0), int16(-1), bytes(Buffer.from(message)), ...(version >= 1 ? [Buffer.alloc(8)] : [])]);

/**
 * A TCP server that frames answers as a Kafka broker does but says what a test tells it to: the
 * attacker in front of the service (a rogue broker, or someone between it and a real one), never
 * a stand-in for the log.
 */
export class HostileBroker {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Every request received, in order. */
  readonly requests: Request[] = [];

  constructor(answer: (request: Request) => Answer) {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
          const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
          buffered = buffered.subarray(4 + frame.length);
          const clientIdEnd = 10 + Math.max(0, frame.readInt16BE(8));
          const request = {
            apiKey: frame.readInt16BE(0),
            apiVersion: frame.readInt16BE(2),
            correlationId: frame.readInt32BE(4),
            clientId: frame.subarray(10, clientIdEnd).toString(),
            body: frame.subarray(clientIdEnd),
          };
          this.requests.push(request);
          const reply = answer(request);
          if (reply === undefined) continue;
          if ('raw' in reply) socket.write(reply.raw);
          else socket.write(Buffer.concat([int32(4 + reply.body.length), int32(request.correlationId), reply.body]));
        }
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('Expected a TCP address');
    return `127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
