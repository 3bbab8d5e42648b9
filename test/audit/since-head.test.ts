import { describe, expect, it } from 'vitest';
import { extendsHead, parseSavedHead } from '../../src/audit/since-head.js';
import { LogAudit } from '../../src/audit/check.js';
import { DEFAULTS } from '../../src/config.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import { headHash, headText, type SignedHead } from '../../src/core/seal.js';
import { newStoredKey, signingKeysOf } from '../../src/signing/key-file.js';
import { SigningKeys } from '../../src/signing/signing-keys.js';
import { certificates } from '../support/certificates.js';
import { SignedLogBuilder } from '../support/signed-log.js';
import { signingKeys } from '../support/signing.js';

const CLASSES = [{ code: 'CS', authorized: 1000 }];
const KEYS = signingKeys();
/** A key nobody trusts: an outsider's, or one the company never published. */
const OTHER = new SigningKeys(signingKeysOf([newStoredKey(new Date(Date.now() - 60_000))], 'other'));
const cs = certificates('CS', 1, 6);
/** Within the test key's validity (from a minute before the process started), the same for every build of the log. */
const SIGNED_FROM = Date.now() - 30_000;

/** Three signed writes (CS-1..2, CS-3, CS-4..6) as a correct writer lays them out, and each write's head. */
function threeWrites(rename?: { number: number; name: string }) {
  const builder = new SignedLogBuilder(CLASSES, KEYS);
  const log: LoggedRecord[] = [];
  const heads: SignedHead[] = [];
  const renamed = cs.map((certificate) => (certificate.number === rename?.number ? { ...certificate, name: rename.name } : certificate));
  for (const write of [renamed.slice(0, 2), renamed.slice(2, 3), renamed.slice(3)]) {
    log.push(...builder.signed(write, KEYS, new Date(SIGNED_FROM + 1000 * log.length))!.entries);
    heads.push(builder.state.head!);
  }
  return { log, heads };
}

const saved = (head: SignedHead): string =>
  JSON.stringify({ offset: head.offset, hash: head.hash, head: head.head, signature: head.signature });

function audit(log: readonly LoggedRecord[], sinceHead: SignedHead) {
  const run = new LogAudit(CLASSES, DEFAULTS.keyWindow, [], { verifier: KEYS, sinceHead });
  run.add(log);
  return run.report();
}

describe('a saved head: trusted only as far as it checks', () => {
  const { heads } = threeWrites();
  const head = heads[1]!;

  it('reads {offset, hash, head, signature} as GET /ledger/head gives it, whatever the members’ order', () => {
    expect(parseSavedHead(saved(head), KEYS)).toEqual(head);
    const reordered = JSON.stringify({ signature: head.signature, head: head.head, hash: head.hash, offset: head.offset });
    expect(parseSavedHead(reordered, KEYS)).toEqual(head);
  });

  it.each([
    ['not JSON', () => '{"offset":', /as JSON/],
    ['another member', () => JSON.stringify({ ...JSON.parse(saved(head)), note: 'x' }), /nothing else/],
    ['a member missing', () => JSON.stringify({ offset: head.offset, hash: head.hash, head: head.head }), /nothing else/],
    ['a head with another member', () => JSON.stringify({ ...JSON.parse(saved(head)), head: { ...head.head, extra: 1 } }), /canonical/],
    ['a head that is no head', () => JSON.stringify({ ...JSON.parse(saved(head)), head: { ...head.head, root: 'abc' } }), /SHA-256/],
    [
      'an offset where its seal is not',
      () => JSON.stringify({ ...JSON.parse(saved(head)), offset: head.offset + 1 }),
      /expected "offset" 4/,
    ],
    ['a hash that is not its head’s', () => JSON.stringify({ ...JSON.parse(saved(head)), hash: heads[0]!.hash }), /"hash"/],
  ])('refuses %s', (_, text, message) => {
    expect(() => parseSavedHead(text(), KEYS)).toThrow(message);
  });

  it('refuses a head whose signature is not a trusted key’s, or not of this head', () => {
    expect(() => parseSavedHead(saved(head), OTHER)).toThrow(/does not check with the trusted keys \(untrusted_key/);
    const altered = { ...head.head, at: '2027-01-01T00:00:00.000Z' };
    const forged = { ...head, head: altered, hash: headHash(headText(altered)) };
    expect(() => parseSavedHead(saved(forged), KEYS)).toThrow(/bad_signature/);
  });
});

describe('extendsHead: whether today’s log extends a head kept earlier', () => {
  const { log, heads } = threeWrites();
  const [first, , newest] = heads as [SignedHead, SignedHead, SignedHead];
  const span = { first: 0, end: log.length };
  const head = (at: SignedHead) => ({ kind: 'head', offset: at.offset, head: at }) as const;

  it('holds when the rule finds a valid seal with the saved hash at the saved offset', () => {
    expect(extendsHead(first, span, head(first))).toBeUndefined();
  });

  it('fails a rewrite: another valid head at that offset', () => {
    const rewritten = threeWrites({ number: 2, name: 'Mallory' }).heads[0]!;
    expect(rewritten.offset).toBe(first.offset);
    expect(extendsHead(first, span, head(rewritten))).toMatch(
      new RegExp(
        `^the seal at offset 2 is another head \\(hash ${rewritten.hash}.*not the saved head \\(hash ${first.hash}.*the log was rewritten$`,
      ),
    );
  });

  it('fails a truncation: the log ends before the saved offset, starts after it, or is empty', () => {
    expect(extendsHead(newest, { first: 0, end: newest.offset }, undefined)).toMatch(
      /^the log ends at offset 7, before the saved head .* at offset 8: records were removed \(truncated\)/,
    );
    expect(extendsHead(first, { first: 3, end: 10 }, undefined)).toMatch(
      /^the log starts at offset 3, after the saved head .* its beginning was deleted$/,
    );
    expect(extendsHead(first, { first: undefined, end: 0 }, undefined)).toMatch(/^the log is empty/);
    expect(extendsHead(first, span, undefined)).toMatch(/^the log holds no record at offset 2/);
  });

  it('fails when the record at the saved offset is no valid seal: a certificate moved there, or a void seal', () => {
    const moved = { kind: 'certificate', offset: 2, record: { ...cs[2]!, offset: 2 } } as const;
    expect(extendsHead(first, span, moved)).toMatch(/^offset 2 holds certificate CS-3, not the saved head .*reordered$/);
    const voided = { kind: 'void', offset: 2, reason: 'broken_chain', message: 'seal at offset 2: it follows head 00' } as const;
    expect(extendsHead(first, span, voided)).toMatch(
      /^offset 2 holds a void record \(broken_chain: seal at offset 2: it follows head 00\)/,
    );
  });
});

describe('the audit with a saved head (--since-head)', () => {
  const { log, heads } = threeWrites();
  const [first, , newest] = heads as [SignedHead, SignedHead, SignedHead];

  it('passes the log that extends it, counting the signed writes since', () => {
    const report = audit(log, first);
    expect(report).toMatchObject({ ok: true, sinceHead: { saved: first, writesSince: 2 } });
    expect(report.sinceHead?.failure).toBeUndefined();
    expect(audit(log, newest).sinceHead).toMatchObject({ writesSince: 0 });
  });

  it('fails a log rebuilt with one name changed and signed again with the real key, which passes the plain audit', () => {
    const rebuilt = threeWrites({ number: 2, name: 'Mallory' }).log;
    const plain = new LogAudit(CLASSES, DEFAULTS.keyWindow, [], { verifier: KEYS });
    plain.add(rebuilt);
    expect(plain.report()).toMatchObject({ ok: true, violationCount: 0 });
    for (const kept of [first, newest]) {
      const report = audit(rebuilt, kept);
      expect(report).toMatchObject({ ok: false, violationCount: 1, sinceHead: { saved: kept } });
      expect(report.violations[0]).toMatchObject({ offset: kept.offset });
      expect(report.violations[0]!.message).toMatch(
        /^the log does not extend the saved head: the seal at offset \d+ is another head .*rewritten$/,
      );
    }
  });

  it('fails a truncated log: the writes up to the saved head are gone', () => {
    const report = audit(log.slice(0, newest.offset), newest);
    expect(report.ok).toBe(false);
    expect(report.sinceHead?.failure).toMatch(/^the log ends at offset 7, before the saved head/);
  });

  it('fails a log whose writes were reordered: the seals no longer chain, and none is the saved one', () => {
    // The second and third writes swapped, each landing at the other's offsets: their seals are misplaced.
    const reordered = [...log.slice(0, 3), ...log.slice(5), ...log.slice(3, 5)].map((entry, offset) => ({ ...entry, offset }));
    const report = audit(reordered, newest);
    expect(report.ok).toBe(false);
    expect(report.sinceHead?.failure).toMatch(/^offset 8 holds a void record \(misplaced: seal at offset 8 was written for offset 4/);
  });
});
