import type { Certificate } from '../core/certificate.js';
import { checkProof } from '../core/proof.js';
import type { Proof, SealVerifier } from '../core/seal.js';
import { certificateFace, letterhead } from '../paper/face.js';
import { decodeProofLink, PROOF_LINK_PREFIX } from '../paper/proof-link.js';
import type { PaperReading } from './pdf-reader.js';
import { printedDifferences } from './printed.js';

/**
 * Why a link or a paper is not genuine. A link's reasons are checkProof's, and `malformed`; the
 * verification page (src/http/verify-page.ts) gives the same link the same code.
 */
export type NotGenuine = 'malformed' | 'untrusted_key' | 'retired_key' | 'bad_signature' | 'not_included' | 'altered_print' | 'no_code';

export type Verdict =
  | { readonly status: 'genuine'; readonly certificate: Certificate; readonly proof: Proof }
  | { readonly status: 'not_genuine'; readonly reason: NotGenuine; readonly detail: string }
  /** Nothing offline can tell: a paper from before signing, whose link the issuer checks. */
  | { readonly status: 'cannot_check'; readonly detail: string };

function notGenuine(reason: NotGenuine, detail: string): Verdict {
  return { status: 'not_genuine', reason, detail };
}

/** A verification link (what the QR code holds): its certificate, if the proof in it is signed by a trusted key. */
export function verifyLink(link: string, verifier: SealVerifier): Verdict {
  const decoded = decodeProofLink(link);
  if ('malformed' in decoded) {
    // A paper from before signing holds the link the service checks: GET /certificates/{id}/verify.
    if (/\/certificates\/[^/?#]+\/verify\?digest=[0-9a-fA-F]+$/.test(link)) {
      return { status: 'cannot_check', detail: `the certificate is from before signing: only the issuer can check it, at ${link}` };
    }
    return notGenuine('malformed', `the link holds no #${PROOF_LINK_PREFIX} proof that can be read: ${decoded.malformed}`);
  }
  const { certificate, proof } = decoded;
  const { key, at } = proof.seal.head;
  switch (checkProof(certificate, proof, verifier)) {
    case 'ok':
      return { status: 'genuine', certificate, proof };
    case 'untrusted_key':
      return notGenuine('untrusted_key', `it names key ${key}, which is not one of the trusted keys`);
    case 'retired_key':
      return notGenuine('retired_key', `key ${key} may not sign at ${at}: it was not valid yet, or retired by then`);
    case 'bad_signature':
      return notGenuine(
        'bad_signature',
        `the signature is not key ${key}'s over these fields and this head: the certificate or its proof was altered`,
      );
    case 'not_included':
      return notGenuine('not_included', 'the certificate is not one of the records the signed head covers');
  }
}

/**
 * A paper certificate read back: its one QR code must hold a genuine proof, and every field the
 * page prints must be the one signed (one changed letter in the holder's name fails, whatever the code says).
 */
export function verifyPaper(reading: PaperReading, verifier: SealVerifier): Verdict {
  if (reading.qrCodes.length !== 1) {
    return notGenuine('no_code', `expected one QR code on the page, and ${reading.qrCodes.length} could be read`);
  }
  const verdict = verifyLink(reading.qrCodes[0]!, verifier);
  if (verdict.status !== 'genuine') return verdict;
  // The letterhead is not signed (printedDifferences does not compare it); the base URL is not printed.
  const signed = certificateFace(verdict.certificate, letterhead('', []), '', verdict.proof);
  const differences = printedDifferences(reading.text, signed);
  return differences.length === 0 ? verdict : notGenuine('altered_print', differences.join('; '));
}
