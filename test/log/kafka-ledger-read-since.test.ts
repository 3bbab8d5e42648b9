import { afterAll, describe, expect, it } from 'vitest';
import type { Certificate } from '../../src/actors/certificate.js';
import { KafkaLedger } from '../../src/log/kafka-ledger.js';
import { broker, uniqueTopic } from '../support/broker.js';
import { certificates } from '../support/certificates.js';

const ledgers: KafkaLedger[] = [];

async function connectedLedger(label: string): Promise<KafkaLedger> {
  const ledger = new KafkaLedger({ brokers: broker().brokers, topic: uniqueTopic(label) });
  ledgers.push(ledger);
  await ledger.connect();
  return ledger;
}

async function idsSince(ledger: KafkaLedger, shareClass: string, afterNumber: number): Promise<string[]> {
  const seen: Certificate[] = [];
  await ledger.readSince(shareClass, afterNumber, (certificate) => seen.push(certificate));
  return seen.map((certificate) => certificate.id);
}

afterAll(async () => {
  await Promise.all(ledgers.map((ledger) => ledger.disconnect()));
});

describe('KafkaLedger.readSince against a real broker', () => {
  it('delivers the whole class oldest first from 0, skipping the other classes interleaved with it', async () => {
    const ledger = await connectedLedger('since-all');
    await ledger.append([...certificates('CS', 1, 2), ...certificates('PS', 1, 3)]);
    await ledger.append(certificates('CS', 3, 2));
    expect(await idsSince(ledger, 'CS', 0)).toEqual(['CS-1', 'CS-2', 'CS-3', 'CS-4']);
    expect(await idsSince(ledger, 'PS', 0)).toEqual(['PS-1', 'PS-2', 'PS-3']);
    expect(await idsSince(ledger, 'XS', 0)).toEqual([]);
  });

  it('delivers only the certificates numbered above the one given, even buried under thousands of another class', async () => {
    const ledger = await connectedLedger('since-tail');
    await ledger.append(certificates('CS', 1, 3));
    for (let first = 1; first <= 3000; first += 1000) await ledger.append(certificates('PS', first, 1000));
    await ledger.append(certificates('CS', 4, 2));
    expect(await idsSince(ledger, 'CS', 3)).toEqual(['CS-4', 'CS-5']);
    expect(await idsSince(ledger, 'CS', 5)).toEqual([]);
    expect(await idsSince(ledger, 'PS', 2998)).toEqual(['PS-2999', 'PS-3000']);
  });
});
