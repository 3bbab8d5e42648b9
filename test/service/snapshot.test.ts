import { Kafka, logLevel } from 'kafkajs';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { authorizedFetch } from '../support/credentials.js';
import { auditTopic } from '../support/audit.js';
import { broker, uniqueTopic } from '../support/broker.js';
import { concurrently, issue } from '../support/http.js';
import { readLog } from '../support/log.js';
import { splitIssued } from '../support/receipts.js';
import { startService, type RunningService } from '../support/service.js';

const CLASSES = 'CS=1000000,PS=1000000';
const stateDir = mkdtempSync(join(tmpdir(), 'state-'));
const running: RunningService[] = [];

async function start(topic: string, withSnapshots = true, env: Record<string, string> = {}): Promise<RunningService> {
  const service = await startService({
    KAFKA_TOPIC: topic,
    SHARE_CLASSES: CLASSES,
    ...(withSnapshots ? { STATE_DIR: stateDir } : {}),
    ...env,
  });
  running.push(service);
  return service;
}

async function lookup(url: string, id: string): Promise<unknown> {
  return (await authorizedFetch(`${url}/certificates/${id}`)).json();
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop('SIGKILL')));
});
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe('state snapshots on the instance disk (STATE_DIR)', () => {
  it('a restart restores the state from its snapshot and reads only what came after it, numbering and lookups as if it read everything', async () => {
    const topic = uniqueTopic('snapshot');
    const first = await start(topic);
    expect(first.output()).toContain('no snapshot of this log to restore');
    // What a lookup answers: the 201's certificate, without its receipt.
    const issued = await concurrently(
      60,
      10,
      async (index) => splitIssued((await issue(first.url, index % 3 === 0 ? 'PS' : 'CS', 2)).body).certificate,
    );
    expect(await first.stop('SIGTERM')).toBe(0);
    // 60 certificates in however many writes the load made, each write followed by its seal.
    const log = await readLog(topic);
    const end = log.length;
    expect(end - log.filter((entry) => entry.seal !== undefined).length).toBe(60);
    expect(first.output()).toContain(`"end":${end},`);
    expect(first.output()).toContain('state snapshot saved');
    expect(existsSync(join(stateDir, `${topic}.state`))).toBe(true);

    // Another instance, without snapshots, writes while the first is away.
    const other = await start(topic, false);
    for (let i = 0; i < 5; i++) await issue(other.url, 'CS', 1);
    await other.stop('SIGTERM');

    const second = await start(topic);
    expect(second.output()).toMatch(new RegExp(`"end":${end},.*"msg":"state restored from its snapshot; reading the log from there"`));
    expect((await issue(second.url, 'CS', 1)).body).toMatchObject({ id: 'CS-46', sharesIssued: 86 });
    expect((await issue(second.url, 'PS', 1)).body).toMatchObject({ id: 'PS-21', sharesIssued: 41 });
    for (const certificate of issued) expect(await lookup(second.url, certificate.id)).toEqual({ ...certificate, status: 'outstanding' });
    await second.stop('SIGTERM');
    const report = await auditTopic(topic, [
      { code: 'CS', authorized: 1_000_000 },
      { code: 'PS', authorized: 1_000_000 },
    ]);
    expect(report.violations).toEqual([]);
  });

  it('is not trusted for a topic deleted and created again under the same name: the log is read from its start', async () => {
    const topic = uniqueTopic('snapshot-recreated');
    const first = await start(topic);
    for (let i = 0; i < 10; i++) await issue(first.url, 'CS', 1);
    expect(await first.stop('SIGTERM')).toBe(0);

    const admin = new Kafka({ brokers: broker().brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    // The same name, other records: 12 writes (24 records with their seals), so the snapshot's end (20) is inside the new topic.
    const other = await start(topic, false);
    for (let i = 0; i < 12; i++) await issue(other.url, 'PS', 1);
    await other.stop('SIGTERM');

    const second = await start(topic);
    expect(second.output()).toContain('is not the one it was taken after');
    expect((await issue(second.url, 'CS', 1)).body).toMatchObject({ id: 'CS-1' });
    expect((await issue(second.url, 'PS', 1)).body).toMatchObject({ id: 'PS-13' });
  });

  it('is written 0600 beside its key, and refused when altered or written under another key: the log is read from its start, numbering as before', async () => {
    const topic = uniqueTopic('snapshot-altered');
    const first = await start(topic);
    const issued = [];
    for (let i = 0; i < 8; i++)
      issued.push(splitIssued((await issue(first.url, i % 2 === 0 ? 'CS' : 'PS', 3, `Holder ${i}`)).body).certificate);
    expect(await first.stop('SIGTERM')).toBe(0);
    const path = join(stateDir, `${topic}.state`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'state.key')).mode & 0o777).toBe(0o600);

    // Someone with the disk gives Holder 0's certificate to another name of the same length.
    const original = readFileSync(path);
    const altered = Buffer.from(original.toString('latin1').replace('Holder 0', 'Mallory!'), 'latin1');
    expect(altered.equals(original)).toBe(false);
    writeFileSync(path, altered);
    const second = await start(topic);
    expect(second.output()).toMatch(
      /"reason":"not authenticated \(its MAC differs\).*no snapshot of this log to restore; reading the log from its start/,
    );
    for (const certificate of issued) expect(await lookup(second.url, certificate.id)).toEqual({ ...certificate, status: 'outstanding' });
    expect((await issue(second.url, 'CS', 1)).body).toMatchObject({ id: 'CS-5', sharesIssued: 13 });
    expect(await second.stop('SIGTERM')).toBe(0);

    // A snapshot this directory's key wrote, read under another (STATE_KEY_FILE): refused alike.
    const otherKey = join(stateDir, 'other.key');
    writeFileSync(otherKey, 'another state key, thirty-two bytes or more\n');
    const third = await start(topic, true, { STATE_KEY_FILE: otherKey });
    expect(third.output()).toContain('not authenticated (its MAC differs)');
    expect((await issue(third.url, 'PS', 1)).body).toMatchObject({ id: 'PS-5', sharesIssued: 13 });
    expect(await third.stop('SIGTERM')).toBe(0);
    // Under its own key, the snapshot it wrote is used: 10 certificates, each its own write of one record and its seal.
    const fourth = await start(topic, true, { STATE_KEY_FILE: otherKey });
    expect(fourth.output()).toMatch(/"end":20,.*"msg":"state restored from its snapshot; reading the log from there"/);
    expect((await issue(fourth.url, 'CS', 1)).body).toMatchObject({ id: 'CS-6', sharesIssued: 14 });
  });

  it('runs without snapshots, saying so, when its state directory cannot be made', async () => {
    const blocked = join(stateDir, 'a-file');
    writeFileSync(blocked, '');
    const service = await startService({
      KAFKA_TOPIC: uniqueTopic('snapshot-blocked'),
      SHARE_CLASSES: CLASSES,
      STATE_DIR: join(blocked, 'state'),
    });
    running.push(service);
    expect((await issue(service.url, 'CS', 1)).body).toMatchObject({ id: 'CS-1' });
    expect(service.output()).toContain('no state key, so no snapshots: the whole log is read at every start');
    expect(service.output()).toContain('ENOTDIR');
  });
});
