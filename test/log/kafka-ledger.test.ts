import { afterAll, describe, expect, it } from 'vitest';
import type { Certificate } from '../../src/actors/certificate.js';
import { KafkaLedger } from '../../src/log/kafka-ledger.js';
import { decodeRecord } from '../../src/log/record.js';
import { broker, canRestartBroker, startBroker, stopBroker, uniqueTopic } from '../support/broker.js';
import { certificates } from '../support/certificates.js';

const ledgers: KafkaLedger[] = [];

async function connectedLedger(topic: string): Promise<KafkaLedger> {
  const ledger = new KafkaLedger({ brokers: broker().brokers, topic });
  ledgers.push(ledger);
  await ledger.connect();
  return ledger;
}

async function readBack(ledger: KafkaLedger): Promise<Certificate[]> {
  const all: Certificate[] = [];
  await ledger.readAll((entries) => {
    for (const entry of entries) all.push(decodeRecord(entry.key, entry.value));
  });
  return all;
}

afterAll(async () => {
  await Promise.all(ledgers.map((ledger) => ledger.disconnect()));
});

describe('KafkaLedger against a real broker', () => {
  it('appends a batch and reads exactly those records back, in order', async () => {
    const ledger = await connectedLedger(uniqueTopic('ledger-roundtrip'));
    const batch = [...certificates('CS', 1, 3), ...certificates('PS', 1, 2)];
    await ledger.append(batch);
    expect(await readBack(ledger)).toEqual(batch);
  });

  it('merges appends submitted while a write is in flight into the same log order', async () => {
    const ledger = await connectedLedger(uniqueTopic('ledger-concurrent'));
    const cs = certificates('CS', 1, 50);
    const ps = certificates('PS', 1, 50);
    await Promise.all(cs.map((certificate, index) => Promise.all([ledger.append([certificate]), ledger.append([ps[index]!])])));
    const back = await readBack(ledger);
    expect(back.filter((certificate) => certificate.class === 'CS')).toEqual(cs);
    expect(back.filter((certificate) => certificate.class === 'PS')).toEqual(ps);
  });

  it('splits appends that together exceed what one Kafka write may carry, and keeps their order', async () => {
    const ledger = await connectedLedger(uniqueTopic('ledger-large'));
    // The largest certificate there is: 200 four-byte characters of name, ~1 KB a record.
    const largest = (shareClass: string, first: number) =>
      certificates(shareClass, first, 500).map((certificate) => ({ ...certificate, name: '😀'.repeat(200) }));
    const batches = [largest('CS', 1), largest('PS', 1), largest('CS', 501)];
    await Promise.all(batches.map((batch) => ledger.append(batch)));
    const back = await readBack(ledger);
    expect(back).toHaveLength(1500);
    expect(back.filter((certificate) => certificate.class === 'CS').map((certificate) => certificate.number)).toEqual(
      Array.from({ length: 1000 }, (_, index) => index + 1),
    );
  });

  it.runIf(canRestartBroker())('keeps acknowledged records across a broker restart', async () => {
    const topic = uniqueTopic('ledger-restart');
    const before = await connectedLedger(topic);
    const batch = certificates('CS', 1, 25);
    await before.append(batch);
    await before.disconnect();

    await stopBroker();
    await startBroker();

    const after = await connectedLedger(topic);
    expect(await readBack(after)).toEqual(batch);
  });
});
