import type { Certificate, CertificateRecord } from './certificate.js';
import type { EventRecord } from './events.js';
import { rootFromPath, sha256Hex } from './merkle.js';
import { headHash, headText, type Proof, type SealCheck, type SealVerifier } from './seal.js';
import { canonicalTerms } from './terms.js';

/**
 * What a certificate's leaf commits to on paper: the SHA-256 of its fields as one compact JSON
 * object in this order, its terms last when it has any (holder and legends are what paper shows of
 * them); the paper prints its first 16 hex characters as the digest.
 */
export function fieldsHash(certificate: Certificate): string {
  const { id, class: shareClass, number, name, amount, issuedAt, sharesIssued, terms } = certificate;
  return sha256Hex(
    JSON.stringify(
      terms === undefined
        ? { id, class: shareClass, number, name, amount, issuedAt, sharesIssued }
        : { id, class: shareClass, number, name, amount, issuedAt, sharesIssued, terms: canonicalTerms(terms) },
    ),
  );
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
 * The leaf of a record whose bytes in the log are `value`, and that value's hash (its proof's
 * `valueHash`). An event has no paper: its leaf commits to its bytes alone (their hash twice).
 */
export function leafOf(record: CertificateRecord | EventRecord, value: string): { readonly valueHash: string; readonly leaf: string } {
  const valueHash = sha256Hex(value);
  return { valueHash, leaf: leafHash('event' in record ? valueHash : fieldsHash(record), valueHash) };
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
