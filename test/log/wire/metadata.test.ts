import { describe, expect, it } from 'vitest';
import { partitionLeader } from '../../../src/log/wire/metadata.js';

/** A Metadata v4 answer: brokers, then topics with their partitions (leader -1: none). */
function answer(
  brokers: Array<[number, string, number]>,
  topics: Array<{ name: string; error?: number; partitions: Array<[number, number, number]> }>,
): Buffer {
  const parts: Buffer[] = [];
  const int16 = (value: number) => parts.push(Buffer.from([(value >> 8) & 0xff, value & 0xff]));
  const int32 = (value: number) => {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32BE(value);
    parts.push(buffer);
  };
  const string = (value: string | null) => {
    if (value === null) return int16(-1);
    int16(Buffer.byteLength(value));
    parts.push(Buffer.from(value));
  };
  int32(0);
  int32(brokers.length);
  for (const [node, host, port] of brokers) {
    int32(node);
    string(host);
    int32(port);
    string(null);
  }
  string('cluster');
  int32(1);
  int32(topics.length);
  for (const topic of topics) {
    int16(topic.error ?? 0);
    string(topic.name);
    parts.push(Buffer.from([0]));
    int32(topic.partitions.length);
    for (const [error, index, leader] of topic.partitions) {
      int16(error);
      int32(index);
      int32(leader);
      int32(1);
      int32(leader);
      int32(0);
    }
  }
  return Buffer.concat(parts);
}

const BROKERS: Array<[number, string, number]> = [
  [1, 'kafka-1', 9092],
  [2, 'kafka-2', 9094],
];

describe("finding a partition's leader in a Metadata answer", () => {
  it("answers the leader's advertised address, skipping other topics and partitions", () => {
    const body = answer(BROKERS, [
      { name: 'other', partitions: [[0, 0, 1]] },
      {
        name: 'certificates',
        partitions: [
          [0, 1, 1],
          [0, 0, 2],
        ],
      },
    ]);
    expect(partitionLeader(body, 'certificates', 0)).toEqual({ host: 'kafka-2', port: 9094 });
  });

  it('says to look again, retriable, while the partition has no leader or its leader is not among the brokers', () => {
    for (const leader of [-1, 3]) {
      expect(() => partitionLeader(answer(BROKERS, [{ name: 'certificates', partitions: [[0, 0, leader]] }]), 'certificates', 0)).toThrow(
        expect.objectContaining({ message: expect.stringContaining('has no leader now'), retriable: true, staleLeader: true }),
      );
    }
    expect(() => partitionLeader(answer(BROKERS, [{ name: 'certificates', partitions: [[5, 0, -1]] }]), 'certificates', 0)).toThrow(
      expect.objectContaining({ message: expect.stringContaining('LEADER_NOT_AVAILABLE'), retriable: true }),
    );
  });

  it('names a missing topic as the broker does', () => {
    expect(() => partitionLeader(answer(BROKERS, [{ name: 'certificates', error: 3, partitions: [] }]), 'certificates', 0)).toThrow(
      /UNKNOWN_TOPIC_OR_PARTITION/,
    );
    expect(() => partitionLeader(answer(BROKERS, []), 'certificates', 0)).toThrow(/UNKNOWN_TOPIC_OR_PARTITION/);
  });
});
