import { BrokerConnection, type BrokerAddress, type ConnectionOptions } from './broker-connection.js';
import { ResponseReader, stringSize, writeString, type RequestBody } from './frame.js';
import { KafkaWireError, UNKNOWN_TOPIC_OR_PARTITION } from './kafka-error.js';

export const METADATA_API_KEY = 3;
/** v4: the oldest version Kafka 4.x still answers (4.0 dropped v0-v3), non-flexible. */
export const METADATA_VERSION = 4;

/** A Metadata request for one topic, never creating it. */
export function metadataBody(topic: string): RequestBody {
  return {
    size: 4 + stringSize(topic) + 1,
    write(buffer, at) {
      at = buffer.writeInt32BE(1, at);
      at = writeString(buffer, at, topic);
      return buffer.writeInt8(0, at);
    },
  };
}

function int32Array(reader: ResponseReader): number[] {
  const count = reader.int32();
  const values: number[] = [];
  for (let index = 0; index < count; index += 1) values.push(reader.int32());
  return values;
}

/** The address of the partition's leader in a Metadata answer; throws a retriable error while it has none. */
export function partitionLeader(body: Buffer, topic: string, partition: number): BrokerAddress {
  const what = `looking up the leader of ${topic}-${partition}`;
  const reader = new ResponseReader(body);
  reader.int32(); // throttle time
  const brokers = new Map<number, BrokerAddress>();
  const brokerCount = reader.int32();
  for (let index = 0; index < brokerCount; index += 1) {
    const nodeId = reader.int32();
    const host = reader.string() ?? '';
    const port = reader.int32();
    reader.string(); // rack
    brokers.set(nodeId, { host, port });
  }
  reader.string(); // cluster id
  reader.int32(); // controller id
  const topics = reader.int32();
  for (let t = 0; t < topics; t += 1) {
    const topicError = reader.int16();
    const name = reader.string();
    reader.int8(); // is internal
    const partitions = reader.int32();
    for (let p = 0; p < partitions; p += 1) {
      const partitionError = reader.int16();
      const index = reader.int32();
      const leader = reader.int32();
      int32Array(reader); // replicas
      int32Array(reader); // in-sync replicas
      if (name !== topic || index !== partition) continue;
      if (partitionError !== 0) throw KafkaWireError.fromCode(partitionError, what);
      const address = brokers.get(leader);
      if (address === undefined)
        throw new KafkaWireError(`${what}: it has no leader now (leader ${leader})`, { retriable: true, staleLeader: true });
      return address;
    }
    if (name === topic && topicError !== 0) throw KafkaWireError.fromCode(topicError, what);
  }
  throw KafkaWireError.fromCode(UNKNOWN_TOPIC_OR_PARTITION, what);
}

/**
 * Asks the bootstrap brokers, in turn, where the partition's leader is, each over a connection of
 * its own that is closed after; the first that answers with a leader decides.
 */
export async function locateLeader(
  bootstrap: readonly BrokerAddress[],
  options: ConnectionOptions,
  topic: string,
  partition: number,
): Promise<BrokerAddress> {
  let failure: unknown = new KafkaWireError(`looking up the leader of ${topic}-${partition}: no broker to ask`, {
    retriable: true,
    staleLeader: true,
  });
  // Start at a different broker each time, so that a dead first broker does not cost every lookup a connect timeout.
  const start = Math.floor(Math.random() * bootstrap.length);
  for (let index = 0; index < bootstrap.length; index += 1) {
    const address = bootstrap[(start + index) % bootstrap.length]!;
    let connection: BrokerConnection | undefined;
    try {
      connection = await BrokerConnection.open(address, options);
      return partitionLeader(await connection.request(METADATA_API_KEY, METADATA_VERSION, metadataBody(topic)), topic, partition);
    } catch (error) {
      failure = error;
    } finally {
      connection?.close();
    }
  }
  throw failure;
}
