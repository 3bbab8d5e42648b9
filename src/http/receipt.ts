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

/**
 * Each signed head's JSON as `signedHeadJson` answers it, made once: every certificate of a write
 * shares its head (one SignedHead), and each `201` of the write carries it in its receipt.
 */
const headTexts = new WeakMap<SignedHead, string>();

function signedHeadText(signed: SignedHead): string {
  let text = headTexts.get(signed);
  if (text === undefined) headTexts.set(signed, (text = JSON.stringify(signedHeadJson(signed))));
  return text;
}

/**
 * The body of a `201` as JSON text: the certificate, and its receipt when its write was signed. The
 * exact text `JSON.stringify({ ...certificate, receipt: receiptJson(proof) })` makes, with the
 * seal's part (two thirds of it) serialised once a write instead of once an answer.
 */
export function issuedBody(certificate: Certificate, proof: Proof | undefined): string {
  const text = JSON.stringify(certificate);
  if (proof === undefined) return text;
  const { valueHash, index, path, seal } = proof;
  const receipt = `{"valueHash":${JSON.stringify(valueHash)},"index":${JSON.stringify(index)},"path":${JSON.stringify(path)},"seal":${signedHeadText(seal)}}`;
  return `${text.slice(0, -1)},"receipt":${receipt}}`;
}
