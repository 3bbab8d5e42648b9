import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { IssueRequest, Issued } from '../../src/core/certificate.js';
import { CertificateError } from '../../src/core/errors.js';
import { startService, type Service } from '../../src/service.js';
import { startApp, type TestApp } from '../support/app.js';
import { auditTopic } from '../support/audit.js';
import { uniqueTopic } from '../support/broker.js';
import { until } from '../support/load.js';
import { readCertificateRecords } from '../support/log.js';
import { asking } from '../support/requests.js';
import { serviceSettings } from '../support/settings.js';

const CLASSES = [{ code: 'CS', authorized: 1_000_000 }];
const stateDir = mkdtempSync(join(tmpdir(), 'who-state-'));
const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.close()));
});
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/** One instance in this process, on the suite's broker, with snapshots in `stateDir`; `logged` collects its log lines. */
async function start(topic: string): Promise<{ service: Service; logged: string[] }> {
  const logged: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
  const service = await startService(serviceSettings(topic, CLASSES, { state: { dir: stateDir } }), logger);
  running.push(service);
  return { service, logged };
}

const ask = (principal: string, name: string, amount: number, idempotencyKey = 'order-1'): IssueRequest =>
  asking({ class: 'CS', name, amount, idempotencyKey }, principal);

async function refusal(issued: Promise<Issued>): Promise<CertificateError> {
  return issued.then(
    () => expect.fail('expected a refusal'),
    (error: unknown) => error as CertificateError,
  );
}

describe('who issued what, on a real broker', () => {
  it('gives two principals with one Idempotency-Key two certificates, replays each one’s retry, and keeps that across a snapshot and a restart', async () => {
    const topic = uniqueTopic('who-scoped');
    const alice = ask('key:alice', 'Alice', 10);
    const bob = ask('oidc:https://id.example#bob', 'Bob', 20);
    let { service } = await start(topic);
    const first = [await service.node.issue(alice), await service.node.issue(bob)];
    expect(first.map(({ certificate, replayed }) => [certificate.id, certificate.name, replayed])).toEqual([
      ['CS-1', 'Alice', false],
      ['CS-2', 'Bob', false],
    ]);
    expect(await service.node.issue(ask('key:alice', 'Alice', 10))).toEqual({ certificate: first[0]!.certificate, replayed: true });

    // The record names who asked and the request id they were answered under.
    const records = await readCertificateRecords(topic, CLASSES);
    expect(records.map(({ id, principal, requestId, idempotencyKey }) => ({ id, principal, requestId, idempotencyKey }))).toEqual([
      { id: 'CS-1', principal: 'key:alice', requestId: alice.requestId, idempotencyKey: 'order-1' },
      { id: 'CS-2', principal: 'oidc:https://id.example#bob', requestId: bob.requestId, idempotencyKey: 'order-1' },
    ]);

    // Stopped, it saves a snapshot of the state as it is; the next life restores it and reads nothing after it.
    await running.splice(0)[0]!.close();
    const restarted = await start(topic);
    service = restarted.service;
    // Two writes of one certificate each, each followed by its seal.
    expect(restarted.logged.join('')).toMatch(/"end":4,.*state restored from its snapshot/);
    expect(await service.node.issue(ask('key:alice', 'Alice', 10))).toEqual({ certificate: first[0]!.certificate, replayed: true });
    expect(await service.node.issue(ask('oidc:https://id.example#bob', 'Bob', 20))).toEqual({
      certificate: first[1]!.certificate,
      replayed: true,
    });
    const carol = await service.node.issue(ask('key:carol', 'Carol', 30));
    expect([carol.certificate.id, carol.replayed]).toEqual(['CS-3', false]);

    const report = await auditTopic(topic, CLASSES);
    expect(report.violations).toEqual([]);
    expect(report.principals).toEqual([
      { principal: 'key:alice', certificates: 1, shares: 10 },
      { principal: 'key:carol', certificates: 1, shares: 30 },
      { principal: 'oidc:https://id.example#bob', certificates: 1, shares: 20 },
    ]);
  });

  it('refuses a key reused for another request with 422 idempotency_key_reused, telling nothing of the first request', async () => {
    const topic = uniqueTopic('who-reused');
    const { service } = await start(topic);
    await service.node.issue(ask('key:alice', 'Alice Secretname', 777));
    // The same principal, another amount: refused without the first name, amount or certificate.
    const reused = await refusal(service.node.issue(ask('key:alice', 'Alice Secretname', 1)));
    expect(reused).toMatchObject({ code: 'idempotency_key_reused', details: { idempotencyKey: 'order-1' } });
    const told = JSON.stringify({ message: reused.message, details: reused.details });
    for (const secret of ['Secretname', '777', 'CS-1']) expect(told).not.toContain(secret);
    expect(reused.message).toContain('different class, name or amount');
    // Another principal sending the first request's very content with the key is issued anew: no replay of someone else's certificate.
    const mallory = await service.node.issue(ask('key:mallory', 'Alice Secretname', 777));
    expect([mallory.certificate.id, mallory.replayed]).toEqual(['CS-2', false]);
  });

  it('forwards a follower’s request with its principal and request id, which the writer records as they came', async () => {
    const topic = uniqueTopic('who-forwarded');
    const apps: TestApp[] = [await startApp(topic, CLASSES), await startApp(topic, CLASSES)];
    running.push(...apps);
    await until(
      'one writer and one follower',
      () => apps.some((app) => app.node.role === 'writer') && apps.some((app) => app.node.role === 'follower'),
    );
    const follower = apps.find((app) => app.node.role === 'follower')!;
    const dave = ask('key:dave', 'Dave', 5, 'forwarded-1');
    const issued = await follower.node.issue(dave);
    expect([issued.replayed, issued.proof?.seal.head.first]).toEqual([false, 0]);
    // The retry replays the certificate: from the follower's own state once its tail has the write (no proof:
    // the edge reads it from the log), or from the writer, whose answer carries the proof of the write that issued it.
    const retry = await follower.node.issue(ask('key:dave', 'Dave', 5, 'forwarded-1'));
    expect([retry.certificate, retry.replayed]).toEqual([issued.certificate, true]);
    expect([undefined, issued.proof]).toContainEqual(retry.proof);
    const erin = await follower.node.issue(ask('key:erin', 'Erin', 6, 'forwarded-1'));
    expect(erin.replayed).toBe(false);
    const records = await readCertificateRecords(topic, CLASSES);
    expect(records.map(({ id, principal, requestId }) => [id, principal, requestId])).toEqual([
      [issued.certificate.id, 'key:dave', dave.requestId],
      [erin.certificate.id, 'key:erin', expect.any(String)],
    ]);
  });
});
