import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { parseShareClasses } from '../../src/config.js';
import { certificateId, certificateRecord } from '../../src/core/certificate.js';
import { merkleRoot, sha256Hex } from '../../src/core/merkle.js';
import { fieldsHash, leafHash } from '../../src/core/proof.js';
import { encodeValue } from '../../src/core/record-format.js';
import { encodeSeal, SEAL_KEY, type ClassCount, type SignedHead } from '../../src/core/seal.js';
import { ValidityRule, type Verdict } from '../../src/core/validity.js';
import { readSigningFile, signingKeysOf } from '../../src/signing/key-file.js';
import { SigningKeys } from '../../src/signing/signing-keys.js';
import { broker, uniqueTopic } from '../support/broker.js';
import { Cluster } from '../support/cluster.js';
import { authorizedFetch } from '../support/credentials.js';
import { issue } from '../support/http.js';
import { Load, sleep, until } from '../support/load.js';
import { readLog } from '../support/log.js';
import { signingKeys } from '../support/signing.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHARE_CLASSES = 'CS=1000000000,PS=1000000000';
const CLASSES = parseShareClasses(SHARE_CLASSES);

/** `npm run keys -- signing …` as an operator types it, on `file`; its output's lines, the last one first. */
async function signing(file: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'keys', '--', 'signing', ...args], {
    cwd: ROOT,
    env: { ...process.env, SIGNING_KEY_FILE: file },
  });
  return stdout.trimEnd().split('\n').reverse();
}

/** The topic judged by the service's rule with the keys of `file`, as an auditor holding them would: every verdict, and the rule after the last record. */
async function judge(topic: string, file: string): Promise<{ verdicts: Verdict[]; rule: ValidityRule; end: number }> {
  const rule = new ValidityRule(CLASSES, signingKeys(file));
  const verdicts: Verdict[] = [];
  const log = await readLog(topic);
  for (const entry of log) verdicts.push(...rule.judge(entry));
  return { verdicts, rule, end: log.at(-1)!.offset + 1 };
}

/** What one instance's /readyz details say of the log. */
async function logStatus(url: string): Promise<{ logEnd: number; voidRecords: number }> {
  return (await (await authorizedFetch(`${url}/readyz`)).json()) as { logEnd: number; voidRecords: number };
}

/**
 * The next write as whoever holds `key`'s private half would append it with a plain producer: one
 * CS certificate at the end of the log and its seal, perfect in every way (offsets, numbering,
 * counts, the chain to the last head, the Merkle root, the signature) but the key's retirement.
 */
function forgedWrite(rule: ValidityRule, end: number, key: SigningKeys): { key: string; value: string }[] {
  const tail = rule.tail('CS');
  const number = tail.number + 1;
  const certificate = {
    id: certificateId('CS', number),
    class: 'CS',
    number,
    name: 'Forged Holder',
    amount: 1,
    issuedAt: new Date().toISOString(),
    sharesIssued: tail.sharesIssued + 1,
  };
  const record = certificateRecord(certificate, end, 'forged', undefined, undefined, undefined, end + 1);
  const value = encodeValue(record);
  const classes: Record<string, ClassCount> = {};
  for (const { code } of CLASSES) classes[code] = code === 'CS' ? { number, sharesIssued: certificate.sharesIssued } : rule.tail(code);
  const head = rule.signedHead as SignedHead;
  const seal = key.sign({
    v: 1,
    first: end,
    count: 1,
    root: merkleRoot([leafHash(fieldsHash(record), sha256Hex(value))]),
    prev: head.hash,
    classes,
    at: new Date().toISOString(),
  });
  return [
    { key: 'CS', value },
    { key: SEAL_KEY, value: encodeSeal(seal) },
  ];
}

describe('rotating the signing key under load (two service processes, the real CLI)', () => {
  it('fails no request, leaves a log that audits clean with seals of both keys, and voids what the retired key signs afterwards', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rotation-')), 'signing-keys.json');
    const [old] = (await signing(file, 'create')) as [string];
    const topic = uniqueTopic('rotation');
    const cluster = await Cluster.start(2, { KAFKA_TOPIC: topic, SHARE_CLASSES, SIGNING_KEY_FILE: file });
    try {
      // Clients on both: the follower forwards to the writer, and judges every write it reads.
      const load = new Load(cluster.roundRobin(), { concurrency: 20, classes: ['CS', 'PS'], thinkMs: 50 }).start();
      let rotated: string;
      let retiredAt: string;
      let notBefore: string;
      try {
        await until('writes under the first key', () => load.acknowledged.length >= 200);
        [rotated] = (await signing(file, 'rotate')) as [string];
        const keys = readSigningFile(file).keys;
        notBefore = keys.find((key) => key.kid === rotated)!.notBefore;
        retiredAt = keys.find((key) => key.kid === old)!.retiredAt!;
        // Through the new key's start and the old key's retirement, and a little past.
        await sleep(Date.parse(retiredAt) + 2000 - Date.now());
      } finally {
        await load.stop();
      }
      expect(load.tally()).toEqual({ '201': load.outcomes.length });

      const { verdicts, rule, end } = await judge(topic, file);
      expect(verdicts.filter((verdict) => verdict.kind === 'void')).toEqual([]);
      const certificates = new Map(
        verdicts.flatMap((verdict) => (verdict.kind === 'certificate' ? [[verdict.record.id, verdict.record]] : [])),
      );
      expect(
        load.acknowledged.filter(({ id, name, amount }) => certificates.get(id)?.name !== name || certificates.get(id)?.amount !== amount),
      ).toEqual([]);
      // The old key signed every write up to the new key's start, the new one every write since.
      const heads = verdicts.flatMap((verdict) => (verdict.kind === 'head' ? [verdict.head.head] : []));
      const switched = heads.findIndex((head) => head.key === rotated);
      expect(switched).toBeGreaterThan(0);
      expect(heads.slice(0, switched).filter((head) => head.key !== old || head.at >= retiredAt)).toEqual([]);
      expect(heads.slice(switched).filter((head) => head.key !== rotated || head.at < notBefore)).toEqual([]);
      const newHeads = heads.length - switched;
      console.log(
        `rotation under load: ${load.outcomes.length} requests, all 201; ${heads.length} writes, ${switched} signed by ${old}, ${newHeads} by ${rotated}`,
      );
      expect(newHeads).toBeGreaterThan(10);

      // Both instances read the same log to the same verdicts, and publish both keys.
      await until('the follower to read to the end', async () =>
        (await Promise.all(cluster.urls.map(logStatus))).every((status) => status.logEnd === end),
      );
      for (const url of cluster.urls) {
        expect(await logStatus(url)).toMatchObject({ logEnd: end, voidRecords: 0 });
        const published = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: { kid: string; retiredAt?: string }[] };
        expect(published.keys.map(({ kid, retiredAt }) => [kid, retiredAt])).toEqual([
          [old, retiredAt],
          [rotated, undefined],
        ]);
      }

      // Whoever still holds the retired key appends a write signed with it, straight to the topic.
      const stored = readSigningFile(file).keys.find((key) => key.kid === old)!;
      const thief = new SigningKeys(signingKeysOf([{ kid: old, notBefore: stored.notBefore, x: stored.x, d: stored.d! }], file));
      const forged = forgedWrite(rule, end, thief);
      const kafka = new Kafka({ clientId: 'rotation-test', brokers: broker().brokers, logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await producer.send({ topic, acks: -1, messages: forged });
      } finally {
        await producer.disconnect();
      }
      const after = await judge(topic, file);
      expect(after.verdicts.slice(-2).map((verdict) => [verdict.offset, verdict.kind, verdict.kind === 'void' && verdict.reason])).toEqual([
        [end, 'void', 'retired_key'],
        [end + 1, 'void', 'retired_key'],
      ]);
      const forgedId = certificateId('CS', rule.tail('CS').number + 1);
      for (const url of cluster.urls) {
        // A lookup past what an instance has read has it read the log first: the writer, which does not tail, too.
        expect((await authorizedFetch(`${url}/certificates/${forgedId}`)).status).toBe(404);
        expect(await logStatus(url)).toMatchObject({ logEnd: end + 2, voidRecords: 2 });
      }
      // The next real certificate takes the number, signed by the new key.
      const next = await issue(cluster.urls[0]!, 'CS', 1);
      expect(next).toMatchObject({ status: 201, body: { id: forgedId } });
      const last = await judge(topic, file);
      expect(last.rule.signedHead?.head.key).toBe(rotated);
    } finally {
      await cluster.stop();
    }
  }, 150_000);
});
