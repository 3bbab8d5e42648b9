import type { Certificate } from '../../src/actors/certificate.js';
import { KafkaLedger } from '../../src/log/kafka-ledger.js';
import { decodeRecord } from '../../src/log/record.js';
import { broker } from './broker.js';

/** Every certificate in the topic, decoded, oldest first: what an auditor would read. */
export async function readCertificates(topic: string): Promise<Certificate[]> {
  const ledger = new KafkaLedger({ brokers: broker().brokers, topic });
  const all: Certificate[] = [];
  await ledger.readAll((entries) => {
    for (const entry of entries) all.push(decodeRecord(entry.key, entry.value));
  });
  return all;
}
