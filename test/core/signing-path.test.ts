import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { writeEntries, type WriteEntry } from '../../src/actors/log-writer.js';
import { DEFAULTS } from '../../src/config.js';
import { LogState } from '../../src/core/log-state.js';
import { auditPaths, merkleRoot, merkleTree, rootFromPath, sha256Hex } from '../../src/core/merkle.js';
import { checkProof } from '../../src/core/proof.js';
import { encodeValue } from '../../src/core/record-format.js';
import type { VoidReason } from '../../src/core/validity.js';
import { foreignRecord } from '../support/fake-ledger.js';
import { signingKeys } from '../support/signing.js';

const CLASSES = [{ code: 'CS', authorized: 1000 }];
const NOW = () => new Date();

/** A state signing with the test's key, and the voids it reports. */
function signingState() {
  const voids: VoidReason[] = [];
  const keys = signingKeys();
  const state = new LogState(CLASSES, DEFAULTS.keyWindow, { voidRecord: (reason) => voids.push(reason) }, keys);
  return { state, keys, voids };
}

describe('the signing path', () => {
  it('hashes text as SHA-256 in lowercase hex, as sha256sum prints it', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('Salt Bae ✓')).toBe(createHash('sha256').update('Salt Bae ✓').digest('hex'));
  });

  it("builds a write's root and every leaf's audit path in one pass, each path reaching that root", () => {
    for (let size = 1; size <= 17; size++) {
      const leaves = Array.from({ length: size }, (_, index) => sha256Hex(`leaf ${index}`));
      const { root, paths } = merkleTree(leaves);
      expect(root).toBe(merkleRoot(leaves));
      expect(auditPaths(leaves)).toEqual(paths);
      paths.forEach((path, index) => expect(rootFromPath(leaves[index]!, index, size, path)).toBe(root));
    }
    expect(() => merkleTree([])).toThrow();
  });

  it('applies its own signed writes as a reader verifying every seal does from the same bytes: same certificates, same head, proofs that check', () => {
    const writer = signingState();
    const written: WriteEntry[] = [];
    const proofs = [];
    for (let first = 1; first <= 20; first += 5) {
      const records = Array.from({ length: 5 }, (_, index) => foreignRecord('CS', first + index));
      const entries = writeEntries(writer.state, records, writer.keys, NOW);
      written.push(...entries);
      proofs.push(...writer.state.apply(entries).map(({ proof }) => proof));
    }
    // A reader of the log: records decoded from their bytes, and a verifier that made no signature.
    const reader = signingState();
    const read = reader.state.apply(
      written.map(({ offset, value, seal, record }) => (seal === undefined ? { offset, value, record: record! } : { offset, value, seal })),
    );
    expect(read.map(({ record }) => record!.number)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect([writer.voids, reader.voids]).toEqual([[], []]);
    expect(reader.state.head).toEqual(writer.state.head);
    // The writer's proofs come from the tree it built to state each write; the reader's from the bytes.
    expect(read.map(({ proof }) => proof)).toEqual(proofs);
    for (const { record, proof } of read) expect(checkProof(record!, proof!, signingKeys())).toBe('ok');
  });

  it("judges a stated write by the bytes applied, never by the leaves it remembers: altered records void the write's seal", () => {
    const { state, keys, voids } = signingState();
    const records = Array.from({ length: 3 }, (_, index) => foreignRecord('CS', index + 1));
    const entries = writeEntries(state, records, keys, NOW);
    const altered = { ...entries[1]!.record!, name: 'Mallory' };
    const applied = state.apply([entries[0]!, { offset: 1, record: altered, value: encodeValue(altered) }, entries[2]!, entries[3]!]);
    expect(applied).toEqual([]);
    expect(voids).toEqual(['bad_signature', 'bad_signature', 'bad_signature', 'bad_signature']);
    expect(state.head).toBeUndefined();
  });
});
