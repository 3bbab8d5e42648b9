/**
 * docs/audit.md's "Checking signatures and the chain by hand", run as written: its bash blocks, in
 * order, in one shell, with Kafka's console consumer, jq, OpenSSL and sha256sum, against a topic a
 * real service process wrote, and against copies of it with one byte changed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedRecord } from '../../src/core/ledger.js';
import { runAudit } from '../support/audit-cli.js';
import { uniqueTopic } from '../support/broker.js';
import { brokerScript } from '../support/broker-info.js';
import { broker } from '../support/broker.js';
import { concurrently, issue } from '../support/http.js';
import { readLog } from '../support/log.js';
import { startService, type RunningService } from '../support/service.js';
import { signingKeys, SIGNING_FILE } from '../support/signing.js';
import { copyTopic } from '../support/tamper.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const SECTION = '## Checking signatures and the chain by hand';
const SETTINGS = 'BROKERS=broker-1:9092 TOPIC=certificates SEAL=5';

/** The section's bash blocks, in order, as one script. */
function documentedScript(): string {
  const doc = readFileSync(join(ROOT, 'docs/audit.md'), 'utf8');
  const start = doc.indexOf(SECTION);
  const section = doc.slice(start, doc.indexOf('\n## ', start + SECTION.length));
  const blocks = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1]!);
  expect(start).toBeGreaterThan(0);
  expect(blocks.length).toBeGreaterThanOrEqual(6);
  return blocks.join('\n');
}

/**
 * Kafka's `kafka-console-consumer.sh` runs this class through `kafka-run-class.sh`; the suite's
 * Kafka comes as the jars scripts/kafka/kafka.sh fetches, so the same command goes on PATH.
 */
function consumerOnPath(dir: string): string {
  execFileSync(brokerScript, ['fetch']);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const script = join(bin, 'kafka-console-consumer.sh');
  writeFileSync(
    script,
    `#!/usr/bin/env bash\nexec java -cp '${ROOT}.kafka/libs/*' -Dlog4j2.configurationFile='${ROOT}scripts/kafka/log4j2-quiet.properties' ` +
      `org.apache.kafka.tools.consumer.ConsoleConsumer "$@"\n`,
  );
  chmodSync(script, 0o755);
  return bin;
}

describe('checking a write’s signature and chain by hand (docs/audit.md)', () => {
  const topic = uniqueTopic('by-hand');
  const dir = mkdtempSync(join(tmpdir(), 'by-hand-'));
  const jwks = JSON.stringify(signingKeys().publicSet());
  let bin: string;
  let service: RunningService;
  /** A write of at least 3 certificates that is not the first: its tree has levels, its `prev` a head before it. */
  let found: { first: number; count: number; seal: number } | undefined;
  const write = (): { first: number; count: number; seal: number } => found!;

  /** Runs the documented script in a directory of its own holding jwks.json; resolves with what it printed. */
  async function byHand(onTopic: string, name: string): Promise<{ stdout: string; dir: string }> {
    const script = documentedScript();
    expect(script.split(SETTINGS)).toHaveLength(2);
    const work = join(dir, name);
    mkdirSync(work);
    writeFileSync(join(work, 'jwks.json'), jwks);
    const settings = `BROKERS=${broker().brokers.join(',')} TOPIC=${onTopic} SEAL=${write().seal}`;
    const { stdout } = await run('bash', ['-c', script.replace(SETTINGS, settings)], {
      cwd: work,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    return { stdout, dir: work };
  }

  beforeAll(async () => {
    bin = consumerOnPath(dir);
    service = await startService({ KAFKA_TOPIC: topic, SHARE_CLASSES: 'CS=1000000' });
    expect((await issue(service.url, 'CS', 10, 'Ada Lovelace')).status).toBe(201);
    const names = ['Zoë Ångström', 'Grace Hopper', 'Alan Turing', 'Émilie du Châtelet', 'Katherine Johnson'];
    for (let attempt = 0; attempt < 5 && found === undefined; attempt += 1) {
      await concurrently(names.length, names.length, (index) => issue(service.url, 'CS', 10, names[index]));
      const seals = (await readLog(topic)).flatMap((entry) => (entry.seal === undefined ? [] : [entry.seal.head]));
      const head = seals.find(({ first, count }) => first > 0 && count >= 3);
      if (head !== undefined) found = { first: head.first, count: head.count, seal: head.first + head.count };
    }
    expect(found).toBeDefined();
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
  });

  it('verifies a genuine write: its records’ root, the key, the signature and the chain; its head then passes --since-head', async () => {
    const { stdout, dir: work } = await byHand(topic, 'genuine');
    const kid = signingKeys().publicSet().keys[0]!.kid;
    expect(stdout.split('\n')).toEqual([
      `root OK: the seal signs these ${write().count} records`,
      expect.stringMatching(new RegExp(`^key OK: ${kid} may sign at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`)),
      'Signature Verified Successfully',
      `prev OK: it continues the head at offset ${write().first - 1}`,
      '',
    ]);
    const audit = await runAudit({ KAFKA_TOPIC: topic, SHARE_CLASSES: 'CS=1000000', SIGNING_KEY_FILE: SIGNING_FILE }, [
      '--since-head',
      join(work, 'head.json'),
    ]);
    expect(audit.stdout).toContain(`the log extends the saved head at offset ${write().seal}`);
    expect(audit.code).toBe(0);
  }, 60_000);

  it('finds that a write’s records are not those its seal signed when one byte of a name was changed', async () => {
    const copy = uniqueTopic('by-hand-name');
    const target = write().first + 1;
    await copyTopic(topic, copy, (record, offset) => (offset === target ? flipNameByte(record) : record));
    const { stdout } = await byHand(copy, 'name');
    expect(stdout.split('\n')).toEqual([
      'root DIFFERS: these are not the records the seal signed',
      expect.stringMatching(/^key OK: /),
      'Signature Verified Successfully',
      `prev OK: it continues the head at offset ${write().first - 1}`,
      '',
    ]);
  }, 60_000);

  it('refuses the signature of an altered head, and the chain to an altered previous head', async () => {
    const copy = uniqueTopic('by-hand-head');
    const heads = new Set([write().first - 1, write().seal]);
    await copyTopic(topic, copy, (record, offset) => (heads.has(offset) ? laterByOneMs(record) : record));
    const { stdout } = await byHand(copy, 'head');
    expect(stdout.split('\n')).toEqual([
      `root OK: the seal signs these ${write().count} records`,
      expect.stringMatching(/^key OK: /),
      'Signature Verification Failure',
      `prev DIFFERS: it does not continue the head at offset ${write().first - 1}`,
      '',
    ]);
  }, 60_000);
});

/** The record with one byte of its holder's name changed (an ASCII letter's case): still a record that parses. */
function flipNameByte({ key, value }: EncodedRecord): EncodedRecord {
  const bytes = Buffer.from(value);
  const name = bytes.indexOf('"name":"') + '"name":"'.length;
  let index = name;
  while (!/[A-Za-z]/.test(String.fromCharCode(bytes[index]!))) index += 1;
  bytes[index] = bytes[index]! ^ 0x20;
  return { key, value: bytes.toString('utf8') };
}

/** A seal whose head's time is one millisecond later: still a seal in its canonical form. */
function laterByOneMs({ key, value }: EncodedRecord): EncodedRecord {
  const seal = JSON.parse(value) as { head: { at: string } };
  const later = new Date(Date.parse(seal.head.at) + 1).toISOString();
  return { key, value: value.replace(`"at":"${seal.head.at}"`, `"at":"${later}"`) };
}
