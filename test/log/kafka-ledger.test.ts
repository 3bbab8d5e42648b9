import { afterAll, describe, expect, it } from 'vitest';
import { encodeRecords, encodeValue } from '../../src/core/record-format.js';
import { ledgerOn } from '../support/settings.js';
import { DEFAULTS } from '../../src/config.js';
import type { CertificateRecord } from '../../src/core/certificate.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import { LogState } from '../../src/core/log-state.js';
import { LogWriter } from '../../src/actors/log-writer.js';
import { KafkaLedger } from '../../src/log/kafka-ledger.js';
import { skipsWithoutOwnBroker, startBroker, stopBroker, uniqueTopic } from '../support/broker.js';
import { certificates } from '../support/certificates.js';
import { signingKeys } from '../support/signing.js';

const ledgers: KafkaLedger[] = [];

async function connectedLedger(topic: string): Promise<KafkaLedger> {
  const ledger = ledgerOn(topic, 'test-ledger');
  ledgers.push(ledger);
  await ledger.connect();
  return ledger;
}

async function readBack(ledger: KafkaLedger): Promise<LoggedRecord[]> {
  const all: LoggedRecord[] = [];
  await ledger.readAll((entries) => all.push(...entries));
  return all;
}

/** Records as a writer states them: each names the offset it expects and the request it answers. */
function stated(records: readonly CertificateRecord[], firstOffset: number): CertificateRecord[] {
  return records.map((record, index) => ({ ...record, offset: firstOffset + index, request: `request-${firstOffset + index}` }));
}

afterAll(async () => {
  await Promise.all(ledgers.map((ledger) => ledger.disconnect()));
});

describe('KafkaLedger against a real broker', () => {
  it('appends a batch contiguously, answers the offset it landed at, and reads exactly those records back', async () => {
    const ledger = await connectedLedger(uniqueTopic('ledger-roundtrip'));
    const first = stated([...certificates('CS', 1, 3), ...certificates('PS', 1, 2)], 0);
    const second = stated(certificates('CS', 4, 2), 5);
    expect(await ledger.append(encodeRecords(first))).toBe(0);
    expect(await ledger.append(encodeRecords(second))).toBe(5);
    // Each record comes back with its exact bytes in the log: a signed record's leaf hashes them.
    expect(await readBack(ledger)).toEqual([...first, ...second].map((record, offset) => ({ offset, record, value: encodeValue(record) })));
    expect(await ledger.bounds()).toEqual({ low: 0, high: 7 });
  });

  it('reads exactly the range asked for, and reports what it cannot decode instead of stopping', async () => {
    const ledger = await connectedLedger(uniqueTopic('ledger-range'));
    await ledger.append(encodeRecords(stated(certificates('CS', 1, 10), 0)));
    await ledger.append(encodeRecords([{ ...certificates('CS', 11, 1)[0]!, name: '' }]));
    const seen: LoggedRecord[] = [];
    await ledger.read(3, 6, (entries) => void seen.push(...entries));
    expect(seen.map((entry) => [entry.offset, entry.record?.id])).toEqual([
      [3, 'CS-4'],
      [4, 'CS-5'],
      [5, 'CS-6'],
    ]);
    const [last] = (await readBack(ledger)).slice(-1);
    expect(last).toMatchObject({ offset: 10, malformed: expect.stringMatching(/name/) });
  });

  it('follows the log: delivers records appended after it started, each once, with how far the log reaches', async () => {
    const ledger = await connectedLedger(uniqueTopic('ledger-follow'));
    await ledger.append(encodeRecords(stated(certificates('CS', 1, 2), 0)));
    const seen: number[] = [];
    let reach = 0;
    const following = ledger.follow(
      1,
      (entries, highWatermark) => {
        seen.push(...entries.map((entry) => entry.offset));
        reach = highWatermark;
      },
      (error) => {
        throw error;
      },
    );
    try {
      await ledger.append(encodeRecords(stated(certificates('CS', 3, 3), 2)));
      const deadline = Date.now() + 15_000;
      while (seen.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen).toEqual([1, 2, 3, 4]);
      expect(reach).toBe(5);
    } finally {
      await following.stop();
    }
  });

  it('keeps every write under what one Kafka write may carry, its seal included: a signing writer commits 1,500 of the largest certificates', async () => {
    const ledger = await connectedLedger(uniqueTopic('ledger-large'));
    const classes = [
      { code: 'CS', authorized: 1_000_000 },
      { code: 'PS', authorized: 1_000_000 },
    ];
    const keys = signingKeys();
    const state = new LogState(classes, DEFAULTS.keyWindow, undefined, keys);
    const writer = new LogWriter(ledger, state, { signer: keys });
    // The largest certificate there is: 200 four-byte characters of name, ~1 KB a record.
    const largest = (shareClass: string, first: number) =>
      certificates(shareClass, first, 500).map((certificate) => ({ ...certificate, name: '😀'.repeat(200) }));
    await Promise.all([largest('CS', 1), largest('PS', 1), largest('CS', 501)].map((batch) => writer.commit(batch)));
    expect(state.index('CS')!.count).toBe(1000);
    expect(state.index('PS')!.count).toBe(500);
    expect(state.voidRecords).toBe(0);
    // Every record landed where it was stated, each write followed by its seal; a reader of the log finds the same.
    const log = await readBack(ledger);
    const seals = log.filter((entry) => entry.seal !== undefined);
    expect(log).toHaveLength(1500 + seals.length);
    expect(
      log.every(
        (entry) => (entry.seal === undefined ? entry.record?.offset : entry.seal.head.first + entry.seal.head.count) === entry.offset,
      ),
    ).toBe(true);
    const reader = new LogState(classes, DEFAULTS.keyWindow, undefined, signingKeys());
    expect(reader.apply(log)).toHaveLength(1500);
    expect(reader.voidRecords).toBe(0);
  });

  it.skipIf(skipsWithoutOwnBroker(import.meta.url))('keeps acknowledged records across a broker restart', async () => {
    const topic = uniqueTopic('ledger-restart');
    const before = await connectedLedger(topic);
    const batch = stated(certificates('CS', 1, 25), 0);
    await before.append(encodeRecords(batch));
    await before.disconnect();

    await stopBroker();
    await startBroker();

    const after = await connectedLedger(topic);
    expect((await readBack(after)).map((entry) => entry.record)).toEqual(batch);
  });
});
