import type { Certificate } from '../../src/core/certificate.js';
import type { Proof } from '../../src/core/seal.js';
import { FakeLedger, fakeInstance } from './fake-ledger.js';
import { signingKeys } from './signing.js';

/** A `201`'s body as its two parts: the certificate, and its receipt when its write was signed. */
export function splitIssued(body: object): {
  readonly certificate: Certificate;
  readonly receipt: Proof | undefined;
} {
  const { receipt, ...certificate } = body as unknown as Certificate & { readonly receipt?: Proof };
  return { certificate, receipt };
}

export interface Receipt {
  readonly certificate: Certificate;
  readonly proof: Proof;
}

/**
 * Certificates issued at once by the real sequencing core over an in-memory log, signed with the
 * test's key: the writer batches them into one write, so each proof has a Merkle path as long as
 * the write's records need (no broker: for tests of what is done with a receipt).
 */
export async function issuedTogether(count: number, name = 'Zoë Ångström-Łukasiewicz'): Promise<Receipt[]> {
  const { sequencers } = await fakeInstance(new FakeLedger(), [{ code: 'CS', authorized: 1_000_000 }], {}, signingKeys());
  const issued = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      sequencers.issue({ class: 'CS', name, amount: 1250 + index, principal: 'key:test', requestId: `request-${index}` }),
    ),
  );
  return issued.map(({ certificate, proof }) => {
    if (proof === undefined) throw new Error(`Expected ${certificate.id} signed`);
    return { certificate, proof };
  });
}
