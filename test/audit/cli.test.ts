import { topicSettings } from '../support/settings.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Certificate } from '../../src/core/certificate.js';
import { ensureTopic } from '../../src/log/topic.js';
import { broker, uniqueTopic } from '../support/broker.js';
import { runAudit, type AuditRun } from '../support/audit-cli.js';
import { certificates } from '../support/certificates.js';

/** Runs the audit CLI as `npm run audit` does on the topic; resolves with its exit code and output. */
const audit = (topic: string, args: string[] = []): Promise<AuditRun> =>
  runAudit({ KAFKA_TOPIC: topic, SHARE_CLASSES: 'CS=1000,PS=500' }, args);

/** A record value spelled out by hand, as it sits on the topic, so the audit is not checked against the service's own encoder. */
const value = (certificate: Certificate, offset: number): string => JSON.stringify({ ...certificate, offset, request: `r-${offset}` });

/** A writer that stated offsets `0..n-1` for its records. */
const stating = (records: readonly Certificate[]): string[] => records.map((record, offset) => value(record, offset));

describe('npm run audit against a real broker', () => {
  const kafka = new Kafka({ clientId: 'audit-cli-test', brokers: broker().brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  const topics = {
    sound: uniqueTopic('audit-sound'),
    broken: uniqueTopic('audit-broken'),
    raced: uniqueTopic('audit-void'),
    principals: uniqueTopic('audit-principals'),
    events: uniqueTopic('audit-events'),
  };
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));

  /** Creates the topic and writes these values, keyed by class, at offsets 0, 1, 2, … in one produce. */
  async function write(topic: string, values: readonly { key: string; value: string }[]): Promise<void> {
    await ensureTopic(kafka, topicSettings(topic));
    await producer.send({ topic, acks: -1, messages: [...values] });
  }
  const keyed = (values: readonly string[], key = 'CS') => values.map((text) => ({ key, value: text }));

  beforeAll(async () => {
    await producer.connect();
    const ps = certificates('PS', 1, 2, 5);
    await write(topics.sound, [
      ...keyed(stating(certificates('CS', 1, 3))),
      ...keyed(
        ps.map((record, index) => value(record, 3 + index)),
        'PS',
      ),
    ]);
    const [cs1, cs2, cs3, cs4] = certificates('CS', 1, 4);
    await write(topics.broken, [...keyed(stating([cs1!, cs2!])), ...keyed([value(cs4!, 2), '{"id":"CS-5",'])]);
    // Two writers that both read an empty log: the first one's CS-1 landed at 0, the other's batch
    // (CS-1 and CS-2, stated for offsets 0 and 1) landed right after it, at 1 and 2.
    await write(topics.raced, keyed([value(cs1!, 0), value({ ...cs1!, name: 'Second writer' }, 0), value(cs2!, 1)]));
    // CS-1 was written before records named their principal; then two principals issue, one of them twice.
    const by = (record: Certificate, offset: number, principal: string): string =>
      JSON.stringify({ ...JSON.parse(value(record, offset)), principal, requestId: `req-${offset}` });
    const [ps1] = certificates('PS', 1, 1, 7);
    await write(topics.principals, [
      ...keyed([value(cs1!, 0), by(cs2!, 1, 'key:alice'), by(cs3!, 2, 'oidc:https://id.example#bob')]),
      ...keyed([by(ps1!, 3, 'key:alice')], 'PS'),
    ]);
    // 4 of CS-1's 10 shares transferred (CS-3 to the buyer, CS-4 the balance), then CS-2 cancelled: spelled out by hand too.
    const at = '2026-03-01T00:00:00.000Z';
    const [, , b3, b4] = certificates('CS', 1, 4);
    await write(
      topics.events,
      keyed([
        value(cs1!, 0),
        value(cs2!, 1),
        JSON.stringify({
          event: 'transfer',
          class: 'CS',
          at,
          certificate: 'CS-1',
          quantity: 4,
          results: ['CS-3', 'CS-4'],
          balance: 'CS-4',
          offset: 2,
          request: 'r-2',
        }),
        JSON.stringify({ ...JSON.parse(value({ ...b3!, amount: 4, sharesIssued: 24 }, 3)), origin: 2, request: 'r-2' }),
        JSON.stringify({ ...JSON.parse(value({ ...b4!, name: 'Holder 1', amount: 6, sharesIssued: 30 }, 4)), origin: 2, request: 'r-2' }),
        JSON.stringify({
          event: 'cancellation',
          class: 'CS',
          at,
          certificate: 'CS-2',
          quantity: 10,
          results: [],
          offset: 5,
          request: 'r-5',
        }),
      ]),
    );
  });
  afterAll(async () => {
    await producer.disconnect();
  });

  it('prints the per-class table and exits 0 for a sound log', async () => {
    const result = await audit(topics.sound);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('5 records read');
    expect(result.stdout).toMatch(/^CS +3 +30 +30 +1000 +970$/m);
    expect(result.stdout).toMatch(/^PS +2 +10 +10 +500 +490$/m);
    expect(result.stdout).not.toContain('void records');
    expect(result.stdout).toContain('OK:');
  });

  it('shows the shares outstanding after events and counts the events by type', async () => {
    const result = await audit(topics.events);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^CS +4 +30 +10 +1000 +990$/m);
    expect(result.stdout).toContain('\nevents: 2 (cancellation: 1, transfer: 1)\n');
    expect(result.stdout).toContain('OK:');
  });

  it('checks an acknowledged file: exits 0 when all are certificates, 1 naming each one missing or different', async () => {
    const good = join(dir, 'good.txt');
    writeFileSync(good, 'CS-1\n{"id":"PS-2","name":"Holder 2","amount":5}\n');
    const passed = await audit(topics.sound, ['--acknowledged', good]);
    expect(passed.code).toBe(0);
    expect(passed.stdout).toContain('acknowledged certificates checked: 2');

    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'CS-4\n{"id":"CS-2","name":"Holder 2","amount":99}\n');
    const result = await audit(topics.sound, ['--acknowledged', bad]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAILED: 2 violations:');
    expect(result.stdout).toContain('  CS-2 at offset 1: acknowledged with amount 99, the log says 10');
    expect(result.stdout).toContain('  CS-4 was acknowledged but is not in the log');
  });

  it('exits 1 and lists each violation by offset: a record out of sequence, an undecodable one', async () => {
    const result = await audit(topics.broken);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAILED: 2 violations:');
    expect(result.stdout).toContain('\n  CS-4 at offset 2 does not follow CS-2 (out_of_sequence)\n');
    expect(result.stdout).toMatch(/^ {2}offset 3: Malformed certificate record: value is not JSON/m);
    expect(result.stdout).toMatch(/^CS +2 +20 +20 +1000 +980$/m);
  });

  it('exits 0 for a misplaced duplicate a losing writer left, listing it apart as a void record', async () => {
    const result = await audit(topics.raced);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('3 records read');
    expect(result.stdout).toMatch(/^CS +1 +10 +10 +1000 +990$/m);
    expect(result.stdout).toContain(
      'void records: 2 (misplaced: 2) — written by stale or late writers, never acknowledged; not certificates',
    );
    expect(result.stdout).toContain('  CS-1 at offset 1 was written for offset 0: a stale, late or retried write');
    expect(result.stdout).toContain('  CS-2 at offset 2 was written for offset 1: a stale, late or retried write');
    expect(result.stdout).toContain('OK:');
  });

  it('exits 1 when an acknowledged certificate is one the log holds only as a void record, or differs from the valid one', async () => {
    const voided = join(dir, 'voided.txt');
    writeFileSync(voided, 'CS-1\nCS-2\n');
    const onlyVoid = await audit(topics.raced, ['--acknowledged', voided]);
    expect(onlyVoid.code).toBe(1);
    expect(onlyVoid.stdout).toContain('FAILED: 1 violation:');
    expect(onlyVoid.stdout).toContain('CS-2 was acknowledged but the log holds it only as a void record at offset 2 (misplaced)');

    const loser = join(dir, 'loser.txt');
    writeFileSync(loser, '{"id":"CS-1","name":"Second writer","amount":10}\n');
    const differs = await audit(topics.raced, ['--acknowledged', loser]);
    expect(differs.code).toBe(1);
    expect(differs.stdout).toContain('CS-1 at offset 0: acknowledged with name "Second writer", the log says "Holder 1"');
  });

  it('lists certificates and shares by principal with --by-principal, records without one as unknown', async () => {
    const result = await audit(topics.principals, ['--by-principal']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('4 records read');
    expect(result.stdout).toMatch(/^principal +certificates +shares$/m);
    expect(result.stdout).toMatch(/^key:alice +2 +17$/m);
    expect(result.stdout).toMatch(/^oidc:https:\/\/id\.example#bob +1 +10$/m);
    expect(result.stdout).toMatch(/^unknown +1 +10$/m);
    expect(result.stdout).toContain('OK:');
    expect((await audit(topics.principals)).stdout).not.toMatch(/^principal /m);
  });

  it('exits 2, without creating it, when the topic does not exist', async () => {
    const missing = uniqueTopic('audit-missing');
    const result = await audit(missing);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot read topic ${missing}`);
    expect((await audit(missing)).code).toBe(2);
  });
});
