import type { EncodedRecord } from '../../src/core/ledger.js';
import { decodeSeal, encodeSeal, type Head, type Seal, type SealSigner } from '../../src/core/seal.js';

/**
 * A signed write (its records, then its seal, as SignedLogBuilder lays it out) with its seal
 * changed: what a forger, a replayer or a broken writer leaves in the log.
 */
export function withSeal(write: readonly EncodedRecord[], change: (seal: Seal) => Seal): EncodedRecord[] {
  return [...write.slice(0, -1), { key: write.at(-1)!.key, value: encodeSeal(change(sealOf(write))) }];
}

/** The seal that ends the write. */
export function sealOf(write: readonly EncodedRecord[]): Seal {
  const decoded = decodeSeal(write.at(-1)?.value ?? '');
  if (!('seal' in decoded)) throw new Error(`Expected the write to end with its seal: ${decoded.malformed}`);
  return decoded.seal;
}

/** The write's seal signed again by `signer`, over its head as `change` makes it: a key holder's seal of another history. */
export function resigned(
  write: readonly EncodedRecord[],
  signer: SealSigner,
  change: (head: Omit<Head, 'key'>) => Omit<Head, 'key'> = (head) => head,
): EncodedRecord[] {
  return withSeal(write, ({ head: { v, first, count, root, prev, classes, at } }) =>
    signer.sign(change({ v, first, count, root, prev, classes, at })),
  );
}
