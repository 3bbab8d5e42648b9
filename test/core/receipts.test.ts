import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../src/core/certificate.js';
import { checkProof } from '../../src/core/proof.js';
import { Receipts } from '../../src/core/receipts.js';
import { encodeValue } from '../../src/core/record-format.js';
import { FakeLedger, fakeInstance } from '../support/fake-ledger.js';
import { asking } from '../support/requests.js';
import { signingKeys } from '../support/signing.js';

const CLASSES = [{ code: 'CS', authorized: 1000 }];
const KEYS = signingKeys();

/** A signed log of `count` certificates issued together, and a state that read it. */
async function issued(count: number) {
  const ledger = new FakeLedger();
  const { state, sequencers } = await fakeInstance(ledger, CLASSES, {}, KEYS);
  const answers = await Promise.all(
    Array.from({ length: count }, (_, index) => sequencers.issue(asking({ class: 'CS', name: `Holder ${index}`, amount: 1 }))),
  );
  return { ledger, state, answers };
}

describe('Receipts: a proof read again from the log (in-memory log)', () => {
  it('reads a certificate’s write back and gives the proof its first answer carried, which checks alone', async () => {
    const { ledger, state, answers } = await issued(5);
    const receipts = new Receipts(ledger, state, KEYS);
    for (const { certificate, proof } of answers) {
      const read = await receipts.proofOf(certificate);
      expect(read).toEqual(proof);
      expect(checkProof(certificate, read!, KEYS)).toBe('ok');
    }
  });

  it('keeps a proof once read: asking again reads nothing; another certificate’s fields under the same id are read, and refused', async () => {
    const { ledger, state, answers } = await issued(3);
    const receipts = new Receipts(ledger, state, KEYS);
    const { certificate } = answers[1]!;
    await receipts.proofOf(certificate);
    const reads = ledger.reads;
    await receipts.proofOf(certificate);
    expect(ledger.reads).toBe(reads);
    const altered: Certificate = { ...certificate, name: 'Someone Else' };
    await expect(receipts.proofOf(altered)).rejects.toThrow(/valid seal/);
    expect(ledger.reads).toBe(reads + 1);
  });

  it('gives no proof for a certificate written before signing, and refuses one whose write the log no longer holds as signed', async () => {
    const ledger = new FakeLedger();
    const unsigned = await fakeInstance(ledger, CLASSES);
    const [first] = await Promise.all([unsigned.sequencers.issue(asking({ class: 'CS', name: 'Early', amount: 1 }))]);
    const signed = await fakeInstance(ledger, CLASSES, {}, KEYS);
    const later = await signed.sequencers.issue(asking({ class: 'CS', name: 'Later', amount: 1 }));
    expect(await new Receipts(ledger, signed.state, KEYS).proofOf(first!.certificate)).toBeUndefined();
    expect(later.proof).toBeDefined();
    // The same state over a log whose signed write was altered after it was read.
    const altered = new FakeLedger();
    const entries = ledger.entries();
    altered.injectEncoded(
      entries.map((entry) => {
        if (entry.malformed !== undefined) throw new Error(entry.malformed);
        const value = entry.record?.name === 'Later' ? encodeValue({ ...entry.record, name: 'Later!' }) : entry.value!;
        return { key: entry.record?.class ?? 'seal', value };
      }),
    );
    await expect(new Receipts(altered, signed.state, KEYS).proofOf(later.certificate)).rejects.toThrow(/valid seal/);
  });
});
