import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaLedger } from '../../src/log/kafka-ledger.js';
import { broker, uniqueTopic } from '../support/broker.js';
import { certificates } from '../support/certificates.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** Runs the audit CLI as `npm run audit` does; resolves with its exit code and output. */
async function audit(topic: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, KAFKA_BROKERS: broker().brokers.join(','), KAFKA_TOPIC: topic, SHARE_CLASSES: 'CS=1000,PS=500' };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/audit/cli.ts', ...args], { cwd: ROOT, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run audit against a real broker', () => {
  const ledger = new KafkaLedger({ brokers: broker().brokers, topic: uniqueTopic('audit-sound') });
  const gapped = new KafkaLedger({ brokers: broker().brokers, topic: uniqueTopic('audit-gap') });
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));

  beforeAll(async () => {
    await Promise.all([ledger.connect(), gapped.connect()]);
    await ledger.append([...certificates('CS', 1, 3), ...certificates('PS', 1, 2, 5)]);
    await gapped.append([...certificates('CS', 1, 2), ...certificates('CS', 4, 1)]);
  });
  afterAll(async () => {
    await Promise.all([ledger.disconnect(), gapped.disconnect()]);
  });

  it('prints the per-class table and exits 0 for a sound log', async () => {
    const result = await audit(ledger.topic);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('5 records read');
    expect(result.stdout).toMatch(/^CS +3 +30 +1000 +970$/m);
    expect(result.stdout).toMatch(/^PS +2 +10 +500 +490$/m);
    expect(result.stdout).toContain('OK:');
  });

  it('checks an acknowledged file: exits 0 when all are there, 1 naming each one missing or different', async () => {
    const good = join(dir, 'good.txt');
    writeFileSync(good, 'CS-1\n{"id":"PS-2","name":"Holder 2","amount":5}\n');
    expect((await audit(ledger.topic, ['--acknowledged', good])).code).toBe(0);

    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'CS-4\n{"id":"CS-2","name":"Holder 2","amount":99}\n');
    const result = await audit(ledger.topic, ['--acknowledged', bad]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('CS-2: acknowledged with amount 99, the log says 10');
    expect(result.stdout).toContain('CS-4 was acknowledged but is not in the log');
  });

  it('exits 1 and lists the gap when a number is missing', async () => {
    const result = await audit(gapped.topic);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('offset 2: CS-4: gap, 1 number missing after CS-2');
  });

  it('exits 2, without creating it, when the topic does not exist', async () => {
    const missing = uniqueTopic('audit-missing');
    const result = await audit(missing);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot read topic ${missing}`);
    expect((await audit(missing)).code).toBe(2);
  });
});
