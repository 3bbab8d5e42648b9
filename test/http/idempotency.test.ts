import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IssueError, issueCertificate } from '../../src/client/issue-certificate.js';
import { startApp, useApp } from '../support/app.js';
import { uniqueTopic } from '../support/broker.js';
import { ADMIN, authorizedFetch } from '../support/credentials.js';
import { issue, issueWithKey } from '../support/http.js';
import { readLog } from '../support/log.js';

const CLASSES = [
  { code: 'CS', authorized: 1_000_000 },
  { code: 'PS', authorized: 100 },
];
const app = useApp('idempotency', CLASSES);
const body = (amount = 10, name = 'Salt Bae', shareClass = 'CS') => ({ name, amount, class: shareClass });

/** The records of the topic that carry `key`, as `id@offset`. */
async function recordsWithKey(topic: string, key: string): Promise<string[]> {
  return (await readLog(topic))
    .filter((entry) => entry.record?.idempotencyKey === key)
    .map((entry) => `${entry.record!.id}@${entry.offset}`);
}

/** The id the next CS certificate will have, from /classes: a refused request must not move it. */
async function nextCs(url: string): Promise<string> {
  const { classes } = (await (await authorizedFetch(`${url}/classes`)).json()) as { classes: Array<{ class: string; nextId: string }> };
  return classes.find((row) => row.class === 'CS')!.nextId;
}

describe('POST / with an Idempotency-Key, against a real broker', () => {
  it('answers a retry with the same key and body exactly as the first time (201, body, Location), marked Idempotent-Replayed', async () => {
    const key = randomUUID();
    const first = await issueWithKey(app().url, key, body());
    const retry = await issueWithKey(app().url, key, body());
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('location')).toBe(first.headers.get('location'));
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await recordsWithKey(app().topic, key)).toHaveLength(1);
  });

  it('refuses the key with another class, name or amount: 422 idempotency_key_reused, and issues nothing', async () => {
    const key = randomUUID();
    await issueWithKey(app().url, key, body(10));
    const next = await nextCs(app().url);
    for (const other of [body(11), body(10, 'Someone Else'), body(10, 'Salt Bae', 'PS')]) {
      const reply = await issueWithKey(app().url, key, other);
      expect(reply.status).toBe(422);
      expect(reply.body.error).toMatchObject({ code: 'idempotency_key_reused', idempotencyKey: key });
      expect(reply.body.error).not.toHaveProperty('certificate');
    }
    expect(await nextCs(app().url)).toBe(next);
    expect(await recordsWithKey(app().topic, key)).toHaveLength(1);
  });

  it('makes one certificate of 40 concurrent requests with one key; every one is answered with it', async () => {
    const key = randomUUID();
    const replies = await Promise.all(Array.from({ length: 40 }, () => issueWithKey(app().url, key, body(3, 'Concurrent'))));
    expect(replies.map((reply) => reply.status)).toEqual(Array(40).fill(201));
    expect(new Set(replies.map((reply) => JSON.stringify(reply.body))).size).toBe(1);
    expect(replies.filter((reply) => reply.headers.get('idempotent-replayed') === 'true')).toHaveLength(39);
    expect(await recordsWithKey(app().topic, key)).toHaveLength(1);
  });

  it('refuses a key that is not 1 to 255 printable ASCII characters with 400 invalid_idempotency_key, and issues nothing', async () => {
    const next = await nextCs(app().url);
    for (const bad of ['', 'x'.repeat(256), 'caf\u00e9', 'tab\there']) {
      const reply = await issueWithKey(app().url, bad, body());
      expect([bad, reply.status, (reply.body.error as { code: string }).code]).toEqual([bad, 400, 'invalid_idempotency_key']);
    }
    expect(await nextCs(app().url)).toBe(next);
    const longest = `${'k'.repeat(249)} ~!"{}`;
    const reply = await issueWithKey(app().url, longest, body());
    expect([longest.length, reply.status, reply.body.id]).toEqual([255, 201, next]);
  });

  it('leaves a key whose request was refused for shares unused: nothing was issued, so nothing is replayed', async () => {
    const key = randomUUID();
    const refused = await issueWithKey(app().url, key, body(101, 'Too Many', 'PS'));
    expect(refused.status).toBe(409);
    const fits = await issueWithKey(app().url, key, body(5, 'Fits', 'PS'));
    expect([fits.status, fits.body.amount, fits.headers.get('idempotent-replayed')]).toEqual([201, 5, null]);
  });

  it('treats requests without a key as before: the same body twice is two certificates', async () => {
    const [one, two] = [await issue(app().url, 'CS', 7, 'Twice'), await issue(app().url, 'CS', 7, 'Twice')];
    expect([one.status, two.status]).toEqual([201, 201]);
    expect((two.body.number as number) - (one.body.number as number)).toBe(1);
  });

  it('through the typed client: one certificate per call, and the same key again replays it', async () => {
    const first = await issueCertificate(body(2, 'Client'), { baseUrl: app().url, credentials: ADMIN.key });
    const again = await issueCertificate(body(2, 'Client'), {
      baseUrl: app().url,
      credentials: ADMIN.key,
      idempotencyKey: first.idempotencyKey,
    });
    expect([first.replayed, first.attempts, again.replayed]).toEqual([false, 1, true]);
    expect(again.certificate).toEqual(first.certificate);
    const reused = await issueCertificate(body(3, 'Client'), {
      baseUrl: app().url,
      credentials: ADMIN.key,
      idempotencyKey: first.idempotencyKey,
    }).catch((error: unknown) => error);
    expect(reused).toBeInstanceOf(IssueError);
    expect(reused).toMatchObject({ code: 'idempotency_key_reused', status: 422, canRetry: false, attempts: 1 });
  });
});

describe('an Idempotency-Key across a restart', () => {
  it('is found in the log by the restarted service, which replays the certificate', async () => {
    const topic = uniqueTopic('idempotency-restart');
    let service = await startApp(topic, CLASSES);
    try {
      const key = randomUUID();
      const first = await issueWithKey(service.url, key, body(4, 'Before Restart'));
      await service.close();
      service = await startApp(topic, CLASSES);
      const retry = await issueWithKey(service.url, key, body(4, 'Before Restart'));
      expect([retry.status, retry.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
      expect(retry.body).toEqual(first.body);
      expect(await recordsWithKey(topic, key)).toHaveLength(1);
    } finally {
      await service.close();
    }
  });
});
