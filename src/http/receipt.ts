import type { Certificate, Issued } from '../core/certificate.js';
import { canonicalHead, type Proof, type SignedHead } from '../core/seal.js';
import type { Issuer } from './issuer.js';

/**
 * A signed head as the API answers it (`GET /ledger/head`, and a receipt's `seal`), and as
 * `npm run audit -- --since-head` reads it: where the seal sits, its hash, the head with its fields
 * in signed order (so `jq -cj .head` prints the bytes the signature covers) and the signature.
 */
export function signedHeadJson(signed: SignedHead): SignedHead {
  const { offset, hash, head, signature } = signed;
  return { offset, hash, head: canonicalHead(head), signature };
}

/** A certificate's receipt as the API answers it: its proof, which `checkProof` (src/core/proof.ts) takes as it is. */
export function receiptJson(proof: Proof): Proof {
  const { valueHash, index, path, seal } = proof;
  return { valueHash, index, path: [...path], seal: signedHeadJson(seal) };
}

/**
 * The answer's proof: the one the write made, or, for a replay (whose answer does not carry it),
 * the proof read back from the log. Undefined only for a certificate written before signing; an
 * unsigned certificate costs no read (the state knows it has no signed write).
 */
export function proofFor(issuer: Pick<Issuer, 'proofOf'>, issued: Issued): Proof | Promise<Proof | undefined> {
  return issued.proof ?? issuer.proofOf(issued.certificate);
}

/** The body of a `201`: the certificate, and its receipt when its write was signed. */
export function issuedBody(certificate: Certificate, proof: Proof | undefined): Certificate & { readonly receipt?: Proof } {
  return proof === undefined ? certificate : { ...certificate, receipt: receiptJson(proof) };
}
