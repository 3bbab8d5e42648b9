import { certificateOf, type Certificate } from '../core/certificate.js';
import { rootFromPath } from '../core/merkle.js';
import { fieldsHash, leafHash } from '../core/proof.js';
import { decodeRecord, MalformedRecord } from '../core/record-format.js';
import { canonicalTerms } from '../core/terms.js';
import { decodeSeal, headHash, headText, type ClassCount, type Head, type Proof } from '../core/seal.js';

/**
 * A signed certificate and its proof in one URL fragment, the QR code of its paper:
 * `<base>/verify#v1.<base64url>`. A browser never sends a fragment, so the verification page checks
 * it on the phone and nothing of it reaches a server. The bytes, smallest first where it counts (a
 * hash is 32 bytes, 43 characters; as hex in JSON it would be 86):
 *
 *   k (1 byte: the path's length) | valueHash (32) | prev (32) | signature (64) | path (32 × k)
 *   | UTF-8 JSON [class, number, name, amount, issuedAt, sharesIssued, index, first, count, at, key, {CODE: [number, sharesIssued]}, terms?]
 *
 * `terms` (src/core/terms.ts) comes only when the certificate has them, spelled as the fields hash
 * takes them (canonicalTerms): the leaf commits to them, so a verifier needs them to reach the root.
 *
 * Left out because a verifier recomputes them: the id (class-number), the head's root (from the
 * leaf and the path: a wrong leaf or path then gives another head text, and the signature fails),
 * the head's hash and the seal's offset (first + count). src/http/verify-page.ts decodes the same bytes.
 */
export const PROOF_LINK_PREFIX = 'v1.';

const HASH = 32;
const SIGNATURE = 64;
const FIXED = 1 + HASH + HASH + SIGNATURE;
/** A write holds at most 2400 records (src/core/receipts.ts): 12 levels. */
const MAX_PATH = 16;
/** The largest QR code holds 2953 bytes; a link longer than that was never printed. */
export const MAX_PROOF_LINK_LENGTH = 4096;

/** The address a certificate's QR code holds: the public verification page with the proof in its fragment. */
export function proofLink(baseUrl: string, certificate: Certificate, proof: Proof): string {
  return `${baseUrl.replace(/\/+$/, '')}/verify#${PROOF_LINK_PREFIX}${encodeProof(certificate, proof)}`;
}

export function encodeProof(certificate: Certificate, proof: Proof): string {
  const { head, signature } = proof.seal;
  const { class: shareClass, number, name, amount, issuedAt, sharesIssued, terms } = certificate;
  const classes = Object.fromEntries(
    Object.keys(head.classes)
      .sort()
      .map((code) => [code, [head.classes[code]!.number, head.classes[code]!.sharesIssued]]),
  );
  const rest: unknown[] = [
    shareClass,
    number,
    name,
    amount,
    issuedAt,
    sharesIssued,
    proof.index,
    head.first,
    head.count,
    head.at,
    head.key,
    classes,
  ];
  if (terms !== undefined) rest.push(canonicalTerms(terms));
  const bytes = Buffer.concat([
    Buffer.from([proof.path.length]),
    Buffer.from(proof.valueHash, 'hex'),
    Buffer.from(head.prev, 'hex'),
    Buffer.from(signature, 'base64'),
    ...proof.path.map((sibling) => Buffer.from(sibling, 'hex')),
    Buffer.from(JSON.stringify(rest)),
  ]);
  return bytes.toString('base64url');
}

export type DecodedProof = { readonly certificate: Certificate; readonly proof: Proof } | { readonly malformed: string };

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** What a scanned QR code or a pasted URL carries: the certificate and its proof, or why it is not one. */
export function decodeProofLink(link: string): DecodedProof {
  if (link.length > MAX_PROOF_LINK_LENGTH) return { malformed: `the link is longer than ${MAX_PROOF_LINK_LENGTH} characters` };
  const fragment = link.slice(link.indexOf('#') + 1);
  if (!link.includes('#') || !fragment.startsWith(PROOF_LINK_PREFIX)) return { malformed: `the link has no #${PROOF_LINK_PREFIX} proof` };
  const encoded = fragment.slice(PROOF_LINK_PREFIX.length);
  if (!BASE64URL.test(encoded)) return { malformed: 'the proof is not base64url' };
  const bytes = Buffer.from(encoded, 'base64url');
  // Node's decoder skips what it cannot read; only the canonical spelling of the bytes is taken.
  if (bytes.toString('base64url') !== encoded) return { malformed: 'the proof is not canonical base64url' };
  const k = bytes[0] ?? 0;
  const tail = FIXED + HASH * k;
  if (k > MAX_PATH || bytes.length <= tail) return { malformed: 'the proof is cut short' };
  const hex = (from: number, length: number): string => bytes.subarray(from, from + length).toString('hex');
  let rest: unknown;
  try {
    rest = JSON.parse(UTF8.decode(bytes.subarray(tail)));
  } catch {
    return { malformed: "the proof's fields are not UTF-8 JSON" };
  }
  if (!Array.isArray(rest) || (rest.length !== 12 && rest.length !== 13))
    return { malformed: `the proof's fields are not the twelve expected (thirteen with terms)` };
  const [shareClass, number, name, amount, issuedAt, sharesIssued, index, first, count, at, key, counts, terms] = rest as unknown[];
  const certificate = certificateFrom(shareClass, number, name, amount, issuedAt, sharesIssued, terms);
  if ('malformed' in certificate) return certificate;
  if (typeof counts !== 'object' || counts === null || Array.isArray(counts)) return { malformed: "the head's classes are not an object" };
  // Own properties whatever the codes (fromEntries, not assignment): the seal's parser then judges each.
  const classes = Object.fromEntries(
    Object.entries(counts).map(([code, pair]) => [
      code,
      Array.isArray(pair) && pair.length === 2 ? { number: pair[0], sharesIssued: pair[1] } : {},
    ]),
  ) as Record<string, ClassCount>;
  const valueHash = hex(1, HASH);
  const path = Array.from({ length: k }, (_, level) => hex(FIXED + HASH * level, HASH));
  const root =
    Number.isSafeInteger(index) && Number.isSafeInteger(count)
      ? rootFromPath(leafHash(fieldsHash(certificate), valueHash), index as number, count as number, path)
      : undefined;
  if (root === undefined) return { malformed: "the path does not fit the head's count" };
  const head = { v: 1, first, count, root, prev: hex(1 + HASH, HASH), classes, at, key } as Head;
  // The seal's own parser checks every field of the head, as the log's readers do.
  const sealed = decodeSeal(`{"head":${headText(head)},"signature":"${bytes.subarray(1 + 2 * HASH, FIXED).toString('base64')}"}`);
  if ('malformed' in sealed) return { malformed: sealed.malformed };
  const { seal } = sealed;
  return {
    certificate,
    proof: {
      valueHash,
      index: index as number,
      path,
      seal: { ...seal, offset: seal.head.first + seal.head.count, hash: headHash(headText(seal.head)) },
    },
  };
}

/** The certificate the fields name, checked as the log's readers check a record. */
function certificateFrom(
  ...[shareClass, number, name, amount, issuedAt, sharesIssued, terms]: unknown[]
): Certificate | { readonly malformed: string } {
  const fields = { id: `${String(shareClass)}-${String(number)}`, class: shareClass, number, name, amount, issuedAt, sharesIssued, terms };
  try {
    return certificateOf(decodeRecord(typeof shareClass === 'string' ? shareClass : null, JSON.stringify(fields)));
  } catch (error) {
    if (error instanceof MalformedRecord) return { malformed: error.message };
    throw error;
  }
}
