import type { Certificate } from './certificate.js';
import { rootFromPath, sha256Hex } from './merkle.js';
import { headHash, headText, type Proof, type SealCheck, type SealVerifier } from './seal.js';

/**
 * What a certificate's leaf commits to on paper: the SHA-256 of its fields as one compact JSON
 * object in this order (the paper prints its first 16 hex characters as the digest).
 */
export function fieldsHash(certificate: Certificate): string {
  const { id, class: shareClass, number, name, amount, issuedAt, sharesIssued } = certificate;
  return sha256Hex(JSON.stringify({ id, class: shareClass, number, name, amount, issuedAt, sharesIssued }));
}

/**
 * A record's leaf: its fields' hash (what paper can show and a verifier recompute from what is
 * printed) and the hash of the record's exact bytes in the log (which also cover who asked and the
 * request: a verifier of paper needs only their hash, so paper reveals neither).
 */
export function leafHash(fieldsHashHex: string, valueHashHex: string): string {
  return sha256Hex(`leaf:${fieldsHashHex}${valueHashHex}`);
}

/**
 * Whether the proof shows `certificate` signed: its leaf reaches the signed root by the path, the
 * head is the one named, and the signature is a trusted key's at the head's time. What a verifier
 * of paper runs offline (with the published keys), and what a reader of the log may run on a receipt.
 */
export function checkProof(certificate: Certificate, proof: Proof, verifier: SealVerifier): SealCheck | 'not_included' {
  const { head, signature, hash } = proof.seal;
  const leaf = leafHash(fieldsHash(certificate), proof.valueHash);
  const text = headText(head);
  if (rootFromPath(leaf, proof.index, head.count, proof.path) !== head.root || headHash(text) !== hash) return 'not_included';
  return verifier.check(head, text, signature);
}
