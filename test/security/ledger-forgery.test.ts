/**
 * The issue's proofs that the topic's records cannot be forged, against a real broker and real
 * service processes: a writer to the topic without the signing key adds no certificate; one byte
 * changed in a stored record is seen by every reader; a topic rebuilt and signed again by an insider
 * with the key passes the plain audit and fails against a head kept from before.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseShareClasses } from '../../src/config.js';
import { certificateId, type Certificate, type CertificateRecord } from '../../src/core/certificate.js';
import type { EncodedRecord } from '../../src/core/ledger.js';
import { readRecord } from '../../src/core/record-format.js';
import type { SignedHead } from '../../src/core/seal.js';
import { newStoredKey, signingKeysOf } from '../../src/signing/key-file.js';
import { publicKeySet } from '../../src/signing/public-keys.js';
import { SigningKeys } from '../../src/signing/signing-keys.js';
import { runAudit, type AuditRun } from '../support/audit-cli.js';
import { uniqueTopic } from '../support/broker.js';
import { authorizedFetch } from '../support/credentials.js';
import { concurrently, issue } from '../support/http.js';
import { readLog } from '../support/log.js';
import { startService, type RunningService } from '../support/service.js';
import { SignedLogBuilder } from '../support/signed-log.js';
import { signingKeys, SIGNING_FILE } from '../support/signing.js';
import { headAt, produce, storedRecords } from '../support/tamper.js';

const SHARE_CLASSES = 'CS=1000000,PS=1000000';
const CLASSES = parseShareClasses(SHARE_CLASSES);
/** The company's key, as its instances hold it (the private half too: what an insider with the key has). */
const COMPANY = signingKeys();
const KID = COMPANY.publicSet().keys[0]!.kid;
/** What anyone can have: the published keys. */
const PUBLISHED = publicKeySet(JSON.stringify(COMPANY.publicSet()), 'jwks.json');
const dir = mkdtempSync(join(tmpdir(), 'ledger-forgery-'));

/** A key of the forger's own, under an id of its own or under the company's. */
function forgerKey(kid?: string): SigningKeys {
  const stored = newStoredKey(new Date(Date.now() - 60_000));
  return new SigningKeys(signingKeysOf([{ ...stored, kid: kid ?? stored.kid }], 'forger'));
}

/** `npm run audit` on the topic, trusting the company's key as the service's SIGNING_KEY_FILE names it. */
const audit = (topic: string, args: string[] = []): Promise<AuditRun> =>
  runAudit({ KAFKA_TOPIC: topic, SHARE_CLASSES, SIGNING_KEY_FILE: SIGNING_FILE }, args);

const running: RunningService[] = [];
async function serviceOn(topic: string): Promise<RunningService> {
  const service = await startService({ KAFKA_TOPIC: topic, SHARE_CLASSES });
  running.push(service);
  return service;
}

async function served(service: RunningService, id: string): Promise<{ status: number; name?: string }> {
  const response = await authorizedFetch(`${service.url}/certificates/${id}`);
  const body = (await response.json()) as { name?: string };
  return response.status === 200 ? { status: 200, name: body.name! } : { status: response.status };
}

/** Where a forger with produce rights and the published keys sees the log: every record, judged as every reader judges it. */
async function forgersView(topic: string): Promise<SignedLogBuilder> {
  const builder = new SignedLogBuilder(CLASSES, PUBLISHED);
  builder.state.apply(await readLog(topic));
  return builder;
}

/** The next CS certificate as a correct writer would state it: next number, right running total. */
function nextCertificate(builder: SignedLogBuilder, name: string): Certificate {
  const index = builder.state.index('CS')!;
  const number = index.count + 1;
  return {
    id: certificateId('CS', number),
    class: 'CS',
    number,
    name,
    amount: 10,
    issuedAt: new Date().toISOString(),
    sharesIssued: index.sharesIssued + 10,
  };
}

afterAll(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop()));
});

describe('the signed ledger against forgery (real broker, real service processes)', () => {
  const original = uniqueTopic('forgery');
  /** The genuine topic as the service wrote it, before anyone touched it: CS-1..CS-3 and PS-1 over three writes or more. */
  let genuine: EncodedRecord[];
  let writer: RunningService;
  /** The newest signed head of the genuine topic, as a holder or auditor kept it from GET /ledger/head. */
  let kept: SignedHead;

  beforeAll(async () => {
    writer = await serviceOn(original);
    expect((await issue(writer.url, 'CS', 10, 'Ada Lovelace')).body).toMatchObject({ id: 'CS-1' });
    expect((await issue(writer.url, 'PS', 10, 'Grace Hopper')).body).toMatchObject({ id: 'PS-1' });
    const names = ['Alan Turing', 'Katherine Johnson'];
    await concurrently(2, 2, (index) => issue(writer.url, 'CS', 10, names[index]));
    genuine = await storedRecords(original);
    expect((await audit(original)).code).toBe(0);
    const answer = await authorizedFetch(`${writer.url}/ledger/head`);
    expect(answer.status).toBe(200);
    kept = (await answer.json()) as SignedHead;
    expect(kept).toEqual(await headAt(original, genuine.length - 1));
  }, 120_000);

  it('voids a forger’s perfect next records, never serves them, names them in the audit, and gives their number to the next real certificate', async () => {
    const builder = await forgersView(original);
    const end = builder.end;
    // With a plain producer: the next record unsigned, then under a seal of the forger's own key,
    // then under a seal naming the company's key, each write as correct as a writer's but for the key.
    const forged = [
      builder.unsigned([nextCertificate(builder, 'Mallory')]),
      builder.signed([nextCertificate(builder, 'Mallory')], forgerKey()),
      builder.signed([nextCertificate(builder, 'Mallory')], forgerKey(KID)),
    ];
    for (const write of forged) await produce(original, write.encoded);
    expect((await readLog(original)).length).toBe(builder.end);
    expect(forged.map((write) => (write.entries[0]!.record as CertificateRecord).id)).toEqual(['CS-4', 'CS-4', 'CS-4']);

    // The running writer does not serve it, and its next certificate takes the number.
    expect(await served(writer, 'CS-4')).toEqual({ status: 404 });
    const real = await issue(writer.url, 'CS', 10, 'Real Holder');
    expect([real.status, real.body.id, real.body.name]).toEqual([201, 'CS-4', 'Real Holder']);
    expect(await served(writer, 'CS-4')).toEqual({ status: 200, name: 'Real Holder' });

    // An instance that reads the whole log from its start serves the real one only.
    await writer.stop();
    const reader = await serviceOn(original);
    expect(await served(reader, 'CS-4')).toEqual({ status: 200, name: 'Real Holder' });
    expect(await served(reader, 'CS-5')).toEqual({ status: 404 });

    const result = await audit(original);
    expect(result.code).toBe(1);
    const [untrusted, claimed] = [forged[1]!.entries, forged[2]!.entries];
    const forgerKid = untrusted[1]!.seal!.head.key;
    expect(result.stdout).toContain(
      [
        'FAILED: 5 violations:',
        `  CS-4 at offset ${end} is not signed, after signed records: something without the signing key wrote it (unsigned)`,
        `  CS-4 at offset ${end + 1} is signed by the seal at offset ${end + 2}, which is void (untrusted_key)`,
        `  seal at offset ${end + 2}: key ${forgerKid} is not a trusted signing key (untrusted_key)`,
        `  CS-4 at offset ${end + 3} is signed by the seal at offset ${end + 4}, which is void (bad_signature)`,
        `  seal at offset ${end + 4}: its signature is not key ${KID}'s signature of its head (bad_signature)`,
      ].join('\n'),
    );
    expect(claimed[1]!.seal!.head.key).toBe(KID);
    expect(result.stdout).toMatch(/^CS +4 +40 /m);
    expect(result.stdout).toMatch(new RegExp(`^ {2}key ${KID}: \\d+ writes$`, 'm'));
  }, 120_000);

  it('finds one byte changed in a stored record: a service on the copy does not serve its certificate, and the audit fails', async () => {
    const copy = uniqueTopic('forgery-byte');
    const records = genuine.map((record, offset) => ({ record, decoded: readRecord(offset, record.key, record.value) }));
    const target = records.find(({ decoded }) => decoded.record?.id === 'PS-1')!;
    const targetOffset = records.indexOf(target);
    const flipped = target.record.value.replace('"name":"Grace Hopper"', '"name":"Grace Hoppes"');
    expect(Buffer.from(flipped).length).toBe(Buffer.from(target.record.value).length);
    await produce(
      copy,
      genuine.map((record, offset) => (offset === targetOffset ? { ...record, value: flipped } : record)),
      { create: true },
    );

    const reader = await serviceOn(copy);
    expect(await served(reader, 'CS-1')).toEqual({ status: 200, name: 'Ada Lovelace' });
    expect(await served(reader, 'PS-1')).toEqual({ status: 404 });
    // Every signed write after it names a head that is no longer valid.
    expect(await served(reader, 'CS-2')).toEqual({ status: 404 });

    const result = await audit(copy);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `  PS-1 at offset ${targetOffset} is signed by the seal at offset ${targetOffset + 1}, which is void (bad_signature)`,
    );
    expect(result.stdout).toMatch(
      new RegExp(
        `^ {2}seal at offset ${targetOffset + 1}: its root \\w+ is not the root of the records it signs: they were altered \\(bad_signature\\)$`,
        'm',
      ),
    );
    expect(result.stdout).toMatch(/\(broken_chain\)$/m);
  }, 120_000);

  describe('a topic rebuilt by an insider with the key', () => {
    /** The genuine writes again, one holder's name changed, each signed again with the company's key at its original time. */
    function rebuilt(change: { id: string; name: string }): EncodedRecord[] {
      const builder = new SignedLogBuilder(CLASSES, COMPANY);
      const out: EncodedRecord[] = [];
      let write: CertificateRecord[] = [];
      genuine.forEach(({ key, value }, offset) => {
        const entry = readRecord(offset, key, value);
        if (entry.record !== undefined) write.push(entry.record.id === change.id ? { ...entry.record, name: change.name } : entry.record);
        else {
          out.push(...builder.signed(write, COMPANY, new Date(entry.seal!.head.at)).encoded);
          write = [];
        }
      });
      return out;
    }
    let newest: SignedHead;
    let oldest: SignedHead;
    const saved = (head: SignedHead, name: string): string => {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify(head));
      return file;
    };

    beforeAll(async () => {
      oldest = await headAt(
        original,
        genuine.findIndex(({ key }) => key === 'seal'),
      );
      newest = kept;
    });

    it('passes the plain audit, and fails --since-head with a head kept from before, naming the rewrite', async () => {
      const topic = uniqueTopic('forgery-rebuilt');
      await produce(topic, rebuilt({ id: 'PS-1', name: 'Mallory' }), { create: true });
      const log = await readLog(topic);
      expect(log.length).toBe(genuine.length);
      expect(log.find((entry) => entry.record?.id === 'PS-1')?.record?.name).toBe('Mallory');

      const plain = await audit(topic);
      expect(plain.stdout).toContain('OK: numbering, running totals, authorized limits and signatures hold');
      expect(plain.code).toBe(0);

      const since = await audit(topic, ['--since-head', saved(newest, 'newest.json')]);
      expect(since.code).toBe(1);
      expect(since.stdout).toContain(
        `  the log does not extend the saved head: the seal at offset ${newest.offset} is another head (hash `,
      );
      expect(since.stdout).toContain(`not the saved head (hash ${newest.hash}, signed at ${newest.head.at}): the log was rewritten`);

      // The genuine topic's writes up to the head are untouched: it extends it.
      const extended = await audit(original, ['--since-head', saved(newest, 'newest.json')]);
      expect(extended.stdout).toMatch(
        new RegExp(`the log extends the saved head at offset ${newest.offset} \\(hash ${newest.hash}\\): \\d+ signed writes? since`),
      );
    }, 120_000);

    it('cannot vouch for what was written after the head kept: a rewrite after it passes, so keep a recent head', async () => {
      const topic = uniqueTopic('forgery-after');
      const last = genuine
        .map((record, offset) => readRecord(offset, record.key, record.value).record)
        .findLast((record) => record !== undefined)!;
      await produce(topic, rebuilt({ id: last.id, name: 'Mallory' }), { create: true });
      expect((await audit(topic, ['--since-head', saved(oldest, 'oldest.json')])).code).toBe(0);
      expect((await audit(topic, ['--since-head', saved(newest, 'newest.json')])).code).toBe(1);
    }, 120_000);

    it('fails --since-head on a truncated topic, and refuses a saved head its keys do not vouch for', async () => {
      const topic = uniqueTopic('forgery-truncated');
      await produce(topic, genuine.slice(0, newest.offset), { create: true });
      const truncated = await audit(topic, ['--since-head', saved(newest, 'newest.json')]);
      expect(truncated.code).toBe(1);
      expect(truncated.stdout).toContain(
        `  the log does not extend the saved head: the log ends at offset ${newest.offset - 1}, before the saved head`,
      );

      const forged = { ...newest, ...forgerKey(KID).sign({ ...newest.head }) };
      const refused = await audit(original, ['--since-head', saved({ ...forged, hash: newest.hash }, 'forged.json')]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('forged.json: its signature does not check with the trusted keys (bad_signature');
    }, 120_000);
  });
});
