import { sha256Hex } from './merkle.js';
import { CLASS_CODE_PATTERN } from './share-class.js';

/**
 * A write's signed head: the Merkle root of the `count` records from offset `first` on, the hash of
 * the previous valid head (so every head commits to the whole signed history before it), each
 * class's newest number and running total after the write, the time, and the key that signed.
 * It is written as one more record (the seal) at offset `first + count`, in the same produce
 * request as the records it signs, so the write is one atomic batch and one signature.
 */
export interface Head {
  readonly v: 1;
  readonly first: number;
  readonly count: number;
  readonly root: string;
  readonly prev: string;
  readonly classes: Readonly<Record<string, ClassCount>>;
  readonly at: string;
  readonly key: string;
}

export interface ClassCount {
  readonly number: number;
  readonly sharesIssued: number;
}

/** A seal as the log carries it: the head and its Ed25519 signature (standard base64, 64 bytes). */
export interface Seal {
  readonly head: Head;
  readonly signature: string;
}

/** A valid seal where the log holds it, with the hash the next head must name as `prev`. */
export interface SignedHead extends Seal {
  readonly offset: number;
  readonly hash: string;
}

/** `prev` of the first signed head: nothing signed came before it. */
export const GENESIS = '0'.repeat(64);

/** The Kafka key of a seal record: lowercase, so that no class code can take it. */
export const SEAL_KEY = 'seal';

const HEX = /^[0-9a-f]{64}$/;
/** Key ids: what `npm run keys -- signing create` makes, and what a JWK `kid` carries unescaped. */
export const KEY_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
const KEY_ID = new RegExp(KEY_ID_PATTERN);
const CLASS_CODE = new RegExp(`^${CLASS_CODE_PATTERN}$`);
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;

/**
 * The head with its fields in the order of `Head` and its classes sorted, nothing else: what a seal
 * record and an answer of the API carry, so that `jq -cj` of either prints exactly `headText`.
 */
export function canonicalHead(head: Head): Head {
  const { v, first, count, root, prev, classes, at, key } = head;
  const sorted: Record<string, ClassCount> = {};
  for (const code of Object.keys(classes).sort()) {
    const { number, sharesIssued } = classes[code]!;
    sorted[code] = { number, sharesIssued };
  }
  return { v, first, count, root, prev, classes: sorted, at, key };
}

/**
 * The bytes the signature covers: the head as compact JSON in the order of `Head`, which is exactly
 * what `jq -cj .head` prints of a seal record (every value is ASCII: hex, digits, an ISO time, class
 * codes and a key id), so an auditor checks it with openssl alone (docs/audit.md).
 */
export function headText(head: Head): string {
  return JSON.stringify(canonicalHead(head));
}

/** What the next head names as `prev`: `printf 'head:%s' "$(jq -cj .head)" | sha256sum`. */
export function headHash(text: string): string {
  return sha256Hex(`head:${text}`);
}

export function encodeSeal(seal: Seal): string {
  return `{"head":${headText(seal.head)},"signature":${JSON.stringify(seal.signature)}}`;
}

const nonNegative = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * Parses a seal record; undefined with why when it is not one. Only the exact bytes `encodeSeal`
 * writes are a seal: a head whose JSON an auditor's `jq -c` would print differently from what was
 * signed could pass one reader's check and fail another's.
 */
export function decodeSeal(value: string): { readonly seal: Seal } | { readonly malformed: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { malformed: `seal is not JSON: ${value.slice(0, 80)}` };
  }
  const seal = parsed as { head?: Partial<Head>; signature?: unknown } | null;
  const head = seal?.head;
  if (typeof seal !== 'object' || seal === null || typeof head !== 'object' || head === null) return { malformed: 'seal has no head' };
  const { v, first, count, root, prev, classes, at, key } = head;
  if (v !== 1) return { malformed: `seal version ${JSON.stringify(v)} is not 1` };
  if (!nonNegative(first) || !nonNegative(count) || count === 0) return { malformed: 'seal does not state the records it signs' };
  if (typeof root !== 'string' || !HEX.test(root) || typeof prev !== 'string' || !HEX.test(prev)) {
    return { malformed: 'seal root or prev is not a SHA-256 in hex' };
  }
  if (typeof classes !== 'object' || classes === null || Array.isArray(classes)) return { malformed: 'seal classes is not an object' };
  for (const [code, counted] of Object.entries(classes)) {
    const { number, sharesIssued } = (counted ?? {}) as Partial<ClassCount>;
    if (!CLASS_CODE.test(code) || !nonNegative(number) || !nonNegative(sharesIssued))
      return { malformed: `seal class ${code} is not a count` };
  }
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at)) || new Date(at).toISOString() !== at)
    return { malformed: 'seal time is not an ISO time' };
  if (typeof key !== 'string' || !KEY_ID.test(key)) return { malformed: 'seal key id is not a key id' };
  if (typeof seal.signature !== 'string' || !SIGNATURE.test(seal.signature))
    return { malformed: 'seal signature is not 64 bytes of base64' };
  const decoded: Seal = { head: head as Head, signature: seal.signature };
  if (encodeSeal(decoded) !== value) return { malformed: 'seal is not in its canonical form' };
  return { seal: decoded };
}

/** A certificate's proof: enough, with the signer's public key, to check it alone and offline. */
export interface Proof {
  /** SHA-256 of the record's bytes in the log. */
  readonly valueHash: string;
  /** The leaf's position among the write's records, and its audit path (siblings, leaf upward). */
  readonly index: number;
  readonly path: readonly string[];
  readonly seal: SignedHead;
}

/** Whether a check of a seal passed, or which of the rule's reasons voids it. */
export type SealCheck = 'ok' | 'untrusted_key' | 'retired_key' | 'bad_signature';

/** Checks seals against the trusted public keys (src/signing/): which key, valid at the head's time, signed the text. */
export interface SealVerifier {
  check(head: Head, text: string, signature: string): SealCheck;
}

/** Trusts no key: every seal is void (`untrusted_key`). What a reader given no public keys concludes. */
export const TRUSTS_NO_KEY: SealVerifier = { check: () => 'untrusted_key' };

/** Signs heads with the private key valid at the head's time (src/signing/). */
export interface SealSigner {
  /** Throws SigningUnavailable when no key held may sign at `head.at`. */
  sign(head: Omit<Head, 'key'>): Seal;
}
