import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/log/wire/crc32c.js';
import { ResponseReader } from '../../../src/log/wire/frame.js';
import { KafkaWireError } from '../../../src/log/wire/kafka-error.js';
import { produceBody, producedOffset, type KeyedValue } from '../../../src/log/wire/produce-request.js';

// kafkajs's own decoder and checksum: an implementation independent of ours reads what we encode.
const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<{
  firstTimestamp: string;
  lastOffsetDelta: number;
  producerId: string;
  records: Array<{ key: Buffer; value: Buffer; offset: string; timestamp: string; headers: object }>;
}>;
const kafkajsCrc = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;

/** The request body as bytes, and the record batch inside it (after topic, partition and the batch's size). */
function encoded(topic: string, records: readonly KeyedValue[], now: number): { body: Buffer; batch: Buffer } {
  const request = produceBody(topic, 0, -1, 5000, records, now);
  const body = Buffer.alloc(request.size);
  expect(request.write(body, 0)).toBe(request.size);
  const batchAt = 2 + 2 + 4 + 4 + 2 + Buffer.byteLength(topic) + 4 + 4;
  const size = body.readInt32BE(batchAt);
  expect(batchAt + 4 + size).toBe(body.length);
  return { body, batch: body.subarray(batchAt + 4) };
}

describe('the produce path encodes what Kafka reads', () => {
  it('computes CRC-32C: the standard check value of "123456789" is e3069283', () => {
    expect(crc32c(Buffer.from('123456789')).toString(16)).toBe('e3069283');
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('computes CRC-32C eight bytes at a time exactly as kafkajs does byte by byte, for any length and any slice of a buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = a % (bytes.length + 1);
        const end = start + (b % (bytes.length - start + 1));
        expect(crc32c(bytes, start, end)).toBe(kafkajsCrc(Buffer.from(bytes.subarray(start, end))));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a record batch that kafkajs decodes back to the same keys, values and offsets, with a correct checksum, across varint widths', async () => {
    // Values around the one-, two- and three-byte varint boundaries, multi-byte UTF-8, and enough records for two-byte offset deltas.
    const lengths = [0, 1, 55, 56, 63, 64, 127, 128, 8191, 8192, 16_383, 16_384, 20_000];
    const records: KeyedValue[] = [
      ...lengths.map((length, index) => ({ key: index % 2 === 0 ? 'CS' : 'PS', value: 'x'.repeat(length) })),
      ...Array.from({ length: 150 }, (_, index) => ({ key: 'CS', value: `{"name":"Zoë ${'中'.repeat(index)} 🦄"}` })),
    ];
    const now = Date.UTC(2026, 10, 30, 12, 0, 0);
    const { batch } = encoded('certificates', records, now);
    const decoded = await decodeBatch(new Decoder(batch));
    expect(decoded.records.map((record) => [record.key.toString(), record.value.toString(), record.offset])).toEqual(
      records.map((record, index) => [record.key, record.value, String(index)]),
    );
    expect(decoded.lastOffsetDelta).toBe(records.length - 1);
    expect(decoded.firstTimestamp).toBe(String(now));
    expect(decoded.producerId).toBe('-1');
    expect(decoded.records.every((record) => record.timestamp === String(now) && Object.keys(record.headers).length === 0)).toBe(true);
    // The checksum covers everything from the attributes on (offset 21 of the batch).
    expect(batch.readUInt32BE(17)).toBe(kafkajsCrc(batch.subarray(21)));
  });

  it('reads the base offset from the answer, and names the error a partition was refused with and whether to try again', () => {
    const answer = (errorCode: number, partition = 0): Buffer => {
      const topic = Buffer.from('certificates');
      const buffer = Buffer.alloc(4 + 2 + topic.length + 4 + 4 + 2 + 8 * 3 + 4);
      let at = buffer.writeInt32BE(1, 0);
      at = buffer.writeInt16BE(topic.length, at);
      at += topic.copy(buffer, at);
      at = buffer.writeInt32BE(1, at);
      at = buffer.writeInt32BE(partition, at);
      at = buffer.writeInt16BE(errorCode, at);
      buffer.writeBigInt64BE(4_000_000_123n, at);
      return buffer;
    };
    expect(producedOffset(answer(0), 'certificates', 0)).toBe(4_000_000_123);
    expect(() => producedOffset(answer(6), 'certificates', 0)).toThrow(
      expect.objectContaining({ message: expect.stringContaining('NOT_LEADER_OR_FOLLOWER'), retriable: true, staleLeader: true }),
    );
    expect(() => producedOffset(answer(10), 'certificates', 0)).toThrow(
      expect.objectContaining({ message: expect.stringContaining('MESSAGE_TOO_LARGE'), retriable: false }),
    );
    expect(() => producedOffset(answer(0, 1), 'certificates', 0)).toThrow(/did not mention the partition/);
    expect(() => producedOffset(answer(0).subarray(0, 12), 'certificates', 0)).toThrow(RangeError);
    expect(KafkaWireError.fromCode(9999, 'producing')).toMatchObject({
      message: expect.stringContaining('error code 9999'),
      retriable: false,
    });
  });

  it('refuses to read past the end of an answer instead of inventing values', () => {
    const reader = new ResponseReader(Buffer.from([0, 5, 0x61]));
    expect(() => reader.string()).toThrow(/Expected 5 bytes at 2 of a 3-byte answer/);
  });
});
