import type { Certificate } from '../core/certificate.js';
import { fieldsHash } from '../core/proof.js';

/** Hex characters of SHA-256 kept on paper: 64 bits, short enough to read aloud, far too many to forge. */
export const DIGEST_LENGTH = 16;
export const DIGEST_PATTERN = `^[0-9a-fA-F]{${DIGEST_LENGTH}}$`;

const DIGEST = new RegExp(DIGEST_PATTERN);

/**
 * The fingerprint printed on a paper certificate: the first 16 hex characters of its fields' hash
 * (src/core/proof.ts fieldsHash: the fields as the log committed them, terms last when there are
 * any, as one compact JSON object in that order), the hash its signed leaf commits to. Anyone can
 * recompute it from a record read with kafka-console-consumer (docs/audit.md), so the paper can be
 * checked against the log without trusting this service.
 */
export function certificateDigest(certificate: Certificate): string {
  return fieldsHash(certificate).slice(0, DIGEST_LENGTH);
}

export function isDigest(text: string): boolean {
  return DIGEST.test(text);
}

/** `3f2a9c1b07de4411` as `3f2a 9c1b 07de 4411`, the way a person copies it from paper. */
export function groupDigest(digest: string): string {
  return digest.replace(/(.{4})(?=.)/g, '$1 ');
}
