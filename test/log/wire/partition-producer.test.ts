import { afterEach, describe, expect, it } from 'vitest';
import { ledgerOn } from '../../support/settings.js';
import { KafkaLedger } from '../../../src/log/kafka-ledger.js';
import { readRange } from '../../../src/log/reader.js';
import { locateLeader } from '../../../src/log/wire/metadata.js';
import { PartitionProducer } from '../../../src/log/wire/partition-producer.js';
import { broker, skipsWithoutOwnBroker, uniqueTopic } from '../../support/broker.js';
import { HoldingProxy } from '../../support/holding-proxy.js';

const proxied = broker().proxied;
const connection = { clientId: 'partition-producer-test', connectTimeoutMs: 3000, requestTimeoutMs: 5000 };
const closers: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A producer whose every connection goes through a proxy the test controls, and a ledger on the same topic to read what landed. */
async function throughProxy(
  name: string,
): Promise<{ producer: PartitionProducer; proxy: HoldingProxy; ledger: KafkaLedger; topic: string }> {
  const proxy = new HoldingProxy(proxied!.proxyPort, { host: '127.0.0.1', port: Number(proxied!.listener.split(':')[1]) });
  await proxy.start();
  closers.push(() => proxy.close());
  const topic = uniqueTopic(name);
  const ledger = ledgerOn(topic, 'test-producer');
  await ledger.connect();
  closers.push(() => ledger.disconnect());
  const producer = new PartitionProducer({
    topic,
    partition: 0,
    ...connection,
    attempts: 4,
    backoffMs: 100,
    maxBackoffMs: 1000,
    locateLeader: () => locateLeader([{ host: '127.0.0.1', port: proxied!.proxyPort }], connection, topic, 0),
  });
  closers.push(() => producer.close());
  await producer.connect();
  return { producer, proxy, ledger, topic };
}

const records = (count: number, tag: string) => Array.from({ length: count }, (_, index) => ({ key: 'CS', value: `${tag}-${index}` }));

async function values(ledger: KafkaLedger): Promise<string[]> {
  const seen: string[] = [];
  const { high } = await ledger.bounds();
  await readRange(ledger.client, ledger.topic, 0, high, (entries) => void seen.push(...entries.map((entry) => entry.value ?? '')));
  return seen;
}

describe.skipIf(skipsWithoutOwnBroker(import.meta.url))('PartitionProducer against a real broker, through a proxy', () => {
  it('tries a write again on a new connection when its connection breaks under it, and the batch lands once', async () => {
    const { producer, proxy, ledger } = await throughProxy('wire-cut');
    expect(await producer.produce(records(2, 'first'), 3000)).toBe(0);
    proxy.hold('producers');
    const second = producer.produce(records(3, 'second'), 3000);
    await expect.poll(() => proxy.heldBytes, { timeout: 10_000 }).toBeGreaterThan(0);
    proxy.cutProducers();
    expect(await second).toBe(2);
    expect(await values(ledger)).toEqual(['first-0', 'first-1', 'second-0', 'second-1', 'second-2']);
  });

  it('abandons a write not acknowledged within its timeout, and an answer that comes later counts for nothing', async () => {
    const { producer, proxy, ledger } = await throughProxy('wire-timeout');
    expect(await producer.produce(records(1, 'first'), 3000)).toBe(0);
    proxy.hold('producers', 'answers');
    const started = Date.now();
    await expect(producer.produce(records(1, 'late'), 800)).rejects.toThrow(/no acknowledgement within 800 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(producer.ready).toBe(false);
    proxy.release();
    // The late write reached the broker while its answer was held; the next write is answered on a new connection with its own offset.
    expect(await producer.produce(records(1, 'next'), 3000)).toBe(2);
    expect(await values(ledger)).toEqual(['first-0', 'late-0', 'next-0']);
  });

  it('reports a refusal that trying again cannot mend at once, by name, and keeps writing afterwards', async () => {
    const { producer, ledger } = await throughProxy('wire-too-large');
    const started = Date.now();
    await expect(producer.produce([{ key: 'CS', value: 'x'.repeat(1_100_000) }], 5000)).rejects.toMatchObject({
      message: expect.stringMatching(/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/),
      retriable: false,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await producer.produce(records(1, 'after'), 3000)).toBe(0);
    expect(await values(ledger)).toEqual(['after-0']);
  });
});
