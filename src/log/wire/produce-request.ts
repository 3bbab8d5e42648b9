import { crc32c } from './crc32c.js';
import { ResponseReader, stringSize, writeString, type RequestBody } from './frame.js';
import { KafkaWireError } from './kafka-error.js';

export const PRODUCE_API_KEY = 0;
/** v7: supported from Kafka 2.1 through 4.x (4.0 dropped v0-v2); v3-v8 share one request layout. */
export const PRODUCE_VERSION = 7;

export interface KeyedValue {
  readonly key: string;
  readonly value: string;
}

/** Bytes of a record batch (v2) before its records: base offset to record count. */
const BATCH_HEADER = 61;
/** Where the checksummed part of a batch starts: after base offset, length, leader epoch, magic and the CRC itself. */
const CRC_AT = 8 + 4 + 4 + 1;

/** Bytes of `value` as a zigzag varint. */
function varintSize(value: number): number {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 0x80);
    size += 1;
  }
  return size;
}

function writeVarint(buffer: Buffer, at: number, value: number): number {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  while (zigzag >= 0x80) {
    buffer[at++] = (zigzag & 0x7f) | 0x80;
    zigzag = Math.floor(zigzag / 0x80);
  }
  buffer[at++] = zigzag;
  return at;
}

/**
 * A Produce request for one partition carrying the records as one uncompressed record batch (magic
 * 2), without producer id or sequence: the broker appends it whole, and the records take
 * consecutive offsets from the base offset it answers. Every record has the batch's timestamp and
 * no headers.
 */
export function produceBody(
  topic: string,
  partition: number,
  acks: number,
  timeoutMs: number,
  records: readonly KeyedValue[],
  now = Date.now(),
): RequestBody {
  const keyBytes = records.map((record) => Buffer.byteLength(record.key));
  const valueBytes = records.map((record) => Buffer.byteLength(record.value));
  const recordBytes = records.map(
    // attributes, timestamp delta 0, offset delta, key, value, no headers
    (_, index) =>
      1 + 1 + varintSize(index) + varintSize(keyBytes[index]!) + keyBytes[index]! + varintSize(valueBytes[index]!) + valueBytes[index]! + 1,
  );
  let batchSize = BATCH_HEADER;
  for (const size of recordBytes) batchSize += varintSize(size) + size;
  return {
    size: 2 + 2 + 4 + 4 + stringSize(topic) + 4 + 4 + 4 + batchSize,
    write(buffer, at) {
      at = buffer.writeInt16BE(-1, at); // no transactional id
      at = buffer.writeInt16BE(acks, at);
      at = buffer.writeInt32BE(timeoutMs, at);
      at = buffer.writeInt32BE(1, at);
      at = writeString(buffer, at, topic);
      at = buffer.writeInt32BE(1, at);
      at = buffer.writeInt32BE(partition, at);
      at = buffer.writeInt32BE(batchSize, at);
      const batch = at;
      at = buffer.writeBigInt64BE(0n, at); // base offset: the broker assigns it
      at = buffer.writeInt32BE(batchSize - 12, at);
      at = buffer.writeInt32BE(-1, at); // partition leader epoch
      at = buffer.writeInt8(2, at); // magic
      at += 4; // the CRC, once the rest is written
      at = buffer.writeInt16BE(0, at); // attributes: no compression, create time, not transactional
      at = buffer.writeInt32BE(records.length - 1, at);
      at = buffer.writeBigInt64BE(BigInt(now), at);
      at = buffer.writeBigInt64BE(BigInt(now), at);
      at = buffer.writeBigInt64BE(-1n, at); // no producer id
      at = buffer.writeInt16BE(-1, at);
      at = buffer.writeInt32BE(-1, at);
      at = buffer.writeInt32BE(records.length, at);
      records.forEach((record, index) => {
        at = writeVarint(buffer, at, recordBytes[index]!);
        buffer[at++] = 0;
        buffer[at++] = 0;
        at = writeVarint(buffer, at, index);
        at = writeVarint(buffer, at, keyBytes[index]!);
        at += buffer.write(record.key, at);
        at = writeVarint(buffer, at, valueBytes[index]!);
        at += buffer.write(record.value, at);
        buffer[at++] = 0;
      });
      buffer.writeUInt32BE(crc32c(buffer, batch + CRC_AT + 4, at), batch + CRC_AT);
      return at;
    },
  };
}

/** The offset the batch's first record landed at; throws the partition's error if it did not land. */
export function producedOffset(body: Buffer, topic: string, partition: number): number {
  const reader = new ResponseReader(body);
  const topics = reader.int32();
  for (let t = 0; t < topics; t += 1) {
    const name = reader.string();
    const partitions = reader.int32();
    for (let p = 0; p < partitions; p += 1) {
      const index = reader.int32();
      const errorCode = reader.int16();
      const baseOffset = reader.int64();
      reader.int64(); // log append time
      reader.int64(); // log start offset
      if (name !== topic || index !== partition) continue;
      if (errorCode !== 0) throw KafkaWireError.fromCode(errorCode, `producing to ${topic}-${partition}`);
      return baseOffset;
    }
  }
  throw new KafkaWireError(`producing to ${topic}-${partition}: the answer did not mention the partition`, {
    retriable: false,
    staleLeader: false,
  });
}
