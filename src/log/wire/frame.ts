/**
 * Kafka's request and response framing (non-flexible versions, request header v1, response header
 * v0): what the produce path, and the SASL exchange before it, need of the protocol, and no more.
 */

/**
 * The largest answer this client takes. It asks only for one topic's metadata, produce
 * acknowledgements and SASL messages, each a few kilobytes even from a cluster of hundreds of
 * brokers; a size prefix past this is a broker gone wrong or someone in its place, and buffering
 * up to the 2 GiB a prefix can claim would let them hold that much of this process's memory.
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** A request body writer: the size is computed first, so each request is one exact allocation. */
export interface RequestBody {
  readonly size: number;
  write(buffer: Buffer, at: number): number;
}

export function stringSize(text: string): number {
  return 2 + Buffer.byteLength(text);
}

export function writeString(buffer: Buffer, at: number, text: string): number {
  const length = buffer.write(text, at + 2);
  buffer.writeInt16BE(length, at);
  return at + 2 + length;
}

/** A whole request as it goes on the wire: size, api key and version, correlation id, client id, body. */
export function encodeRequest(apiKey: number, apiVersion: number, correlationId: number, clientId: string, body: RequestBody): Buffer {
  const headerSize = 2 + 2 + 4 + stringSize(clientId);
  const buffer = Buffer.allocUnsafe(4 + headerSize + body.size);
  let at = buffer.writeInt32BE(headerSize + body.size, 0);
  at = buffer.writeInt16BE(apiKey, at);
  at = buffer.writeInt16BE(apiVersion, at);
  at = buffer.writeInt32BE(correlationId, at);
  at = writeString(buffer, at, clientId);
  const end = body.write(buffer, at);
  if (end !== buffer.length) throw new Error(`Expected a ${apiKey}/v${apiVersion} request of ${buffer.length} bytes, wrote ${end}`);
  return buffer;
}

/** Reads a response body field by field; every read checks the bounds, so a short answer throws instead of inventing values. */
export class ResponseReader {
  private at = 0;

  constructor(private readonly buffer: Buffer) {}

  int8(): number {
    const value = this.buffer.readInt8(this.at);
    this.at += 1;
    return value;
  }

  int16(): number {
    const value = this.buffer.readInt16BE(this.at);
    this.at += 2;
    return value;
  }

  int32(): number {
    const value = this.buffer.readInt32BE(this.at);
    this.at += 4;
    return value;
  }

  int64(): number {
    const value = this.buffer.readBigInt64BE(this.at);
    this.at += 8;
    return Number(value);
  }

  string(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    return this.slice(length).toString('utf8');
  }

  bytes(): Buffer | null {
    const length = this.int32();
    if (length < 0) return null;
    return this.slice(length);
  }

  private slice(length: number): Buffer {
    if (this.at + length > this.buffer.length)
      throw new RangeError(`Expected ${length} bytes at ${this.at} of a ${this.buffer.length}-byte answer`);
    const slice = this.buffer.subarray(this.at, this.at + length);
    this.at += length;
    return slice;
  }
}
