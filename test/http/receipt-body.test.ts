import { describe, expect, it } from 'vitest';
import { writeEntries } from '../../src/actors/log-writer.js';
import { DEFAULTS } from '../../src/config.js';
import { LogState } from '../../src/core/log-state.js';
import { issuedBody, receiptJson } from '../../src/http/receipt.js';
import { foreignRecord } from '../support/fake-ledger.js';
import { signingKeys } from '../support/signing.js';

describe("a 201's body", () => {
  it('is the text JSON.stringify makes of the certificate and its receipt, byte for byte, for every certificate of a write', () => {
    const keys = signingKeys();
    const state = new LogState([{ code: 'CS', authorized: 1000 }], DEFAULTS.keyWindow, undefined, keys);
    // Names JSON escapes, and one outside the BMP: the certificate's part is serialised as it always was.
    const names = ['Salt Bae', 'Quote "Q" \\ Back', 'Tab\tNew\nLine', 'Émile 🐘'];
    const records = names.map((name, index) => ({ ...foreignRecord('CS', index + 1), name }));
    const applied = state.apply(writeEntries(state, records, keys, () => new Date()));
    expect(applied).toHaveLength(names.length);
    for (const { record, proof } of applied) {
      const { id, class: shareClass, number, name, amount, issuedAt, sharesIssued } = record!;
      const certificate = { id, class: shareClass, number, name, amount, issuedAt, sharesIssued };
      // Twice: the second answer of a write reuses its seal's text.
      for (let answer = 0; answer < 2; answer++) {
        expect(issuedBody(certificate, proof)).toBe(JSON.stringify({ ...certificate, receipt: receiptJson(proof!) }));
      }
      expect(issuedBody(certificate, undefined)).toBe(JSON.stringify(certificate));
    }
  });
});
