import type { Certificate } from '../../src/core/certificate.js';
import type { Proof } from '../../src/core/seal.js';

/** A `201`'s body as its two parts: the certificate, and its receipt when its write was signed. */
export function splitIssued(body: object): {
  readonly certificate: Certificate;
  readonly receipt: Proof | undefined;
} {
  const { receipt, ...certificate } = body as unknown as Certificate & { readonly receipt?: Proof };
  return { certificate, receipt };
}
