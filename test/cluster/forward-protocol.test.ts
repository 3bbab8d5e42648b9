import { describe, expect, it } from 'vitest';
import { decodeAnswer, encodeAnswer } from '../../src/cluster/forward-protocol.js';
import type { Certificate, Issued } from '../../src/core/certificate.js';
import { CertificateError } from '../../src/core/errors.js';
import { auditPaths, merkleRoot, sha256Hex } from '../../src/core/merkle.js';
import { GENESIS, headHash, headText, type SignedHead } from '../../src/core/seal.js';
import { signingKeys } from '../support/signing.js';

const keys = signingKeys();

/** A signed write of `count` certificates from `first`, and each one's answer with its proof. */
function write(first: number, count: number, prev: string): { head: SignedHead; issued: Issued[] } {
  const leaves = Array.from({ length: count }, (_, index) => sha256Hex(`leaf ${first + index}`));
  const seal = keys.sign({
    v: 1,
    first,
    count,
    root: merkleRoot(leaves),
    prev,
    classes: { CS: { number: first + count, sharesIssued: 10 * (first + count) } },
    at: new Date().toISOString(),
  });
  const head: SignedHead = { ...seal, offset: first + count, hash: headHash(headText(seal.head)) };
  const paths = auditPaths(leaves);
  const issued = leaves.map((_, index): Issued => {
    const number = first + index + 1;
    const certificate: Certificate = {
      id: `CS-${number}`,
      class: 'CS',
      number,
      name: 'Ada',
      amount: 10,
      issuedAt: seal.head.at,
      sharesIssued: 10 * number,
    };
    return {
      certificate,
      replayed: index === 0,
      proof: { valueHash: sha256Hex(`value ${number}`), index, path: paths[index]!, seal: head },
    };
  });
  return { head, issued };
}

describe("a forwarded call's answer (encodeAnswer, decodeAnswer)", () => {
  it('sends each signed head once for the proofs of its write, and gives every request back its whole proof', () => {
    const one = write(0, 3, GENESIS);
    const two = write(4, 2, one.head.hash);
    const unsigned: Issued = { certificate: { ...one.issued[0]!.certificate, id: 'CS-99', number: 99 }, replayed: false };
    const refused = new CertificateError('insufficient_shares', 'Not enough shares', { details: { remaining: 3 } });
    const outcomes = [one.issued[0]!, two.issued[0]!, refused, one.issued[1]!, unsigned, two.issued[1]!, one.issued[2]!];

    // Through JSON, as the call's answer travels.
    const answer = JSON.parse(JSON.stringify(encodeAnswer(outcomes)));
    expect(answer.seals).toEqual([one.head, two.head]);
    expect(answer.results.map((result: { proof?: { seal: number } }) => result.proof?.seal)).toEqual([0, 1, undefined, 0, undefined, 1, 0]);
    expect(decodeAnswer(answer)).toEqual(outcomes);
    expect(JSON.parse(JSON.stringify(encodeAnswer([unsigned])))).toEqual({ results: [{ certificate: unsigned.certificate }] });
  });

  it('refuses an answer whose proof names a head it does not hold', () => {
    const { results } = JSON.parse(JSON.stringify(encodeAnswer(write(0, 2, GENESIS).issued)));
    expect(() => decodeAnswer({ results })).toThrow("Expected the writer's answer to hold the signed head its proof names (0), got none");
  });
});
