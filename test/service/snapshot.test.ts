import { Kafka, logLevel } from 'kafkajs';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { authorizedFetch } from '../support/credentials.js';
import { auditTopic } from '../support/audit.js';
import { broker, uniqueTopic } from '../support/broker.js';
import { concurrently, issue } from '../support/http.js';
import { startService, type RunningService } from '../support/service.js';

const CLASSES = 'CS=1000000,PS=1000000';
const stateDir = mkdtempSync(join(tmpdir(), 'state-'));
const running: RunningService[] = [];

async function start(topic: string, withSnapshots = true): Promise<RunningService> {
  const service = await startService({ KAFKA_TOPIC: topic, SHARE_CLASSES: CLASSES, ...(withSnapshots ? { STATE_DIR: stateDir } : {}) });
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
    const issued = await concurrently(60, 10, async (index) => (await issue(first.url, index % 3 === 0 ? 'PS' : 'CS', 2)).body);
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.output()).toContain('"end":60');
    expect(first.output()).toContain('state snapshot saved');
    expect(existsSync(join(stateDir, `${topic}.state`))).toBe(true);

    // Another instance, without snapshots, writes while the first is away.
    const other = await start(topic, false);
    for (let i = 0; i < 5; i++) await issue(other.url, 'CS', 1);
    await other.stop('SIGTERM');

    const second = await start(topic);
    expect(second.output()).toMatch(/"end":60,.*"msg":"state restored from its snapshot; reading the log from there"/);
    expect((await issue(second.url, 'CS', 1)).body).toMatchObject({ id: 'CS-46', sharesIssued: 86 });
    expect((await issue(second.url, 'PS', 1)).body).toMatchObject({ id: 'PS-21', sharesIssued: 41 });
    for (const certificate of issued) expect(await lookup(second.url, (certificate as { id: string }).id)).toEqual(certificate);
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
    // The same name, other records: 12 of them, so the snapshot's end (10) is inside the new topic.
    const other = await start(topic, false);
    for (let i = 0; i < 12; i++) await issue(other.url, 'PS', 1);
    await other.stop('SIGTERM');

    const second = await start(topic);
    expect(second.output()).toContain('is not the one it was taken after');
    expect((await issue(second.url, 'CS', 1)).body).toMatchObject({ id: 'CS-1' });
    expect((await issue(second.url, 'PS', 1)).body).toMatchObject({ id: 'PS-13' });
  });
});
