import { decodeSeal, headHash, headText, type SealVerifier, type SignedHead } from '../core/seal.js';
import type { Verdict } from '../core/validity.js';

const SAVED_MEMBERS = ['hash', 'head', 'offset', 'signature'].join();

/**
 * A signed head kept earlier, as GET /ledger/head and a 201's receipt (`head`) give it:
 * `{offset, hash, head, signature}`. It is trusted only as far as it checks: the head in its
 * canonical form, at the offset it signs up to, with the hash of its text and a good signature by a
 * trusted key. Throws an Error saying which check failed.
 */
export function parseSavedHead(text: string, verifier: SealVerifier): SignedHead {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('expected a signed head as JSON: {"offset", "hash", "head", "signature"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).sort().join() !== SAVED_MEMBERS) {
    throw new Error('expected a signed head: {"offset", "hash", "head", "signature"} and nothing else');
  }
  const { offset, hash, head, signature } = parsed as Record<string, unknown>;
  // The head as the log holds it in a seal: the only form whose text is what was signed.
  const decoded = decodeSeal(JSON.stringify({ head, signature }));
  if ('malformed' in decoded) throw new Error(`expected a head as a seal carries it: ${decoded.malformed}`);
  const { seal } = decoded;
  const sealAt = seal.head.first + seal.head.count;
  if (offset !== sealAt)
    throw new Error(`expected "offset" ${sealAt}, where the seal of its ${seal.head.count} records sits, got ${JSON.stringify(offset)}`);
  const textOfHead = headText(seal.head);
  if (hash !== headHash(textOfHead)) throw new Error(`expected "hash" to be the head's hash, ${headHash(textOfHead)}`);
  const check = verifier.check(seal.head, textOfHead, seal.signature);
  if (check !== 'ok') throw new Error(`its signature does not check with the trusted keys (${check}, key ${seal.head.key})`);
  return { ...seal, offset: sealAt, hash };
}

/** What the audit read: the first record's offset (undefined for an empty log) and the offset after the last. */
export interface LogSpan {
  readonly first: number | undefined;
  readonly end: number;
}

/**
 * Whether today's log extends a head kept earlier: undefined when it does, else why not. It does
 * when the rule finds a valid seal at the saved offset with the saved hash. The rule accepts a seal
 * only if it continues the chain from the valid head before it, so every head since names this one
 * through `prev`, and this one names every head before it: nothing signed up to it was changed,
 * removed or moved. A rewrite signed again with the real key passes the rule, and fails here.
 * `found` is the rule's verdict on the record at the saved offset, undefined when none was read.
 */
export function extendsHead(saved: SignedHead, span: LogSpan, found: Verdict | undefined): string | undefined {
  const at = `offset ${saved.offset}`;
  const kept = `the saved head (hash ${saved.hash}, signed at ${saved.head.at})`;
  if (span.first === undefined) return `the log is empty, but ${kept} sits at ${at}: it was truncated, or this is another topic`;
  if (saved.offset >= span.end) {
    return `the log ends at offset ${span.end - 1}, before ${kept} at ${at}: records were removed (truncated), or this is another topic`;
  }
  if (saved.offset < span.first) return `the log starts at offset ${span.first}, after ${kept} at ${at}: its beginning was deleted`;
  if (found === undefined) return `the log holds no record at ${at}, where ${kept} sits: records were removed`;
  if (found.kind === 'head') {
    if (found.head.hash === saved.hash) return undefined;
    const { head, hash } = found.head;
    return `the seal at ${at} is another head (hash ${hash}, signed at ${head.at} by key ${head.key}), not ${kept}: the log was rewritten`;
  }
  const holds =
    found.kind === 'certificate'
      ? `certificate ${found.record.id}`
      : found.kind === 'event'
        ? `a ${found.event.event} event`
        : `a void record (${found.reason}: ${found.message})`;
  return `${at} holds ${holds}, not ${kept}: the log was rewritten, or records were removed, inserted or reordered`;
}
