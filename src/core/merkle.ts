import { hash } from 'node:crypto';

/**
 * The Merkle tree over one write's records (RFC 9162's shape: a tree of n leaves splits at the
 * largest power of two below n), so that one signature covers the write and each certificate is
 * still checked alone with log2(n) hashes. Hashes are lowercase hex and hash text, with a prefix per
 * kind so that a leaf can never pass for a node: an auditor recomputes any of them with `printf` and
 * `sha256sum` (docs/audit.md).
 */
export function sha256Hex(text: string): string {
  // One-shot: no Hash object per call, about half createHash's cost for texts this short, and a
  // signed write hashes each record several times (docs/benchmark.md, "Signing's cost").
  return hash('sha256', text);
}

export function nodeHash(left: string, right: string): string {
  return sha256Hex(`node:${left}${right}`);
}

/** Largest power of two strictly below n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function merkleRoot(leaves: readonly string[]): string {
  if (leaves.length === 0) throw new Error('Expected at least one leaf for a Merkle root');
  return subtreeRoot(leaves, 0, leaves.length);
}

function subtreeRoot(leaves: readonly string[], from: number, to: number): string {
  if (to - from === 1) return leaves[from]!;
  const k = split(to - from);
  return nodeHash(subtreeRoot(leaves, from, from + k), subtreeRoot(leaves, from + k, to));
}

/**
 * The root and every leaf's audit path (RFC 9162 §2.1.3.1: siblings from the leaf up) in one pass
 * over the tree: what a reader checks a write's seal against, and its receipts, without hashing
 * the tree twice.
 */
export function merkleTree(leaves: readonly string[]): { readonly root: string; readonly paths: string[][] } {
  if (leaves.length === 0) throw new Error('Expected at least one leaf for a Merkle tree');
  const paths: string[][] = leaves.map(() => []);
  const walk = (from: number, to: number): string => {
    if (to - from === 1) return leaves[from]!;
    const k = split(to - from);
    const left = walk(from, from + k);
    const right = walk(from + k, to);
    for (let i = from; i < from + k; i++) paths[i]!.push(right);
    for (let i = from + k; i < to; i++) paths[i]!.push(left);
    return nodeHash(left, right);
  };
  return { root: walk(0, leaves.length), paths };
}

/** Every leaf's audit path at once, for a write's receipts: one pass over the tree instead of one per leaf. */
export function auditPaths(leaves: readonly string[]): string[][] {
  return merkleTree(leaves).paths;
}

/**
 * The root that a leaf at `index` of a tree of `size` leaves reaches with `path` (RFC 9162
 * §2.1.3.2), or undefined when the path cannot belong to such a tree (wrong length, index out of
 * range). The caller compares it with the signed root.
 */
export function rootFromPath(leaf: string, index: number, size: number, path: readonly string[]): string | undefined {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let hash = leaf;
  for (const sibling of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? hash : undefined;
}
