import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { ApiKeyStore } from '../../src/auth/key-store.js';
import type { Certificate } from '../../src/core/certificate.js';
import { checkProof } from '../../src/core/proof.js';
import type { Proof } from '../../src/core/seal.js';
import { startApp, type TestApp } from '../support/app.js';
import { uniqueTopic } from '../support/broker.js';
import { keysWithRoles } from '../support/credentials.js';
import { post, type Reply } from '../support/http.js';
import { until } from '../support/load.js';
import { signingKeys } from '../support/signing.js';

const CLASSES = [
  { code: 'CS', authorized: 1_000_000 },
  { code: 'PS', authorized: 10_000 },
];

const { file, keys } = keysWithRoles({
  admin: ['admin'],
  issuer: ['certificates:issue', 'certificates:read'],
  clerk: ['certificates:transfer'],
  canceller: ['certificates:cancel'],
  secretary: ['classes:adjust'],
});
const store = new ApiKeyStore(file);
const topic = uniqueTopic('events');
let writer: TestApp;
let follower: TestApp;

beforeAll(async () => {
  const apps = [
    await startApp(topic, CLASSES, {}, { authenticator: new Authenticator({ keys: store }) }),
    await startApp(topic, CLASSES, {}, { authenticator: new Authenticator({ keys: store }) }),
  ];
  await until(
    'one writer and one follower',
    () => apps.some((app) => app.node.role === 'writer') && apps.some((app) => app.node.role === 'follower'),
  );
  writer = apps.find((app) => app.node.role === 'writer')!;
  follower = apps.find((app) => app.node.role === 'follower')!;
});

afterAll(async () => {
  await Promise.all([writer, follower].map((app) => app?.close()));
  store.close();
});

const as = (who: keyof typeof keys, headers: Record<string, string> = {}): Record<string, string> => ({
  authorization: `Bearer ${keys[who]}`,
  ...headers,
});

function send(
  path: string,
  body: unknown,
  who: keyof typeof keys = 'admin',
  headers: Record<string, string> = {},
  app = writer,
): Promise<Reply> {
  return post(`${app.url}${path}`, body, 'application/json', undefined, as(who, headers));
}

async function get(path: string, app = writer): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url}${path}`, { headers: as('admin') });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function issued(amount: number, name = 'Seller', shareClass = 'CS', terms?: unknown): Promise<string> {
  const reply = await send('/certificates', { name, amount, class: shareClass, ...(terms === undefined ? {} : { terms }) });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body.id as string;
}

type ClassRow = Record<string, unknown> & { class: string; nextId: string };
async function classRow(shareClass: string): Promise<ClassRow> {
  const { body } = await get('/classes');
  return (body.classes as ClassRow[]).find((row) => row.class === shareClass)!;
}

describe('events at the HTTP edge, against a real broker', () => {
  it('transfers 400 of 1,000 shares: the buyer’s certificate and the 600 balance take the next numbers, the original is closed and linked', async () => {
    const original = await issued(1000);
    const before = await classRow('CS');
    const reply = await send(
      `/certificates/${original}/transfer`,
      { transferees: [{ name: 'Buyer', amount: 400 }], reason: 'sale' },
      'clerk',
    );
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    const event = reply.body.event as Record<string, unknown>;
    expect(event).toMatchObject({ type: 'transfer', class: 'CS', certificate: original, quantity: 400, reason: 'sale' });
    expect(event.id).toBe(`CS-E${event.offset as number}`);
    const results = reply.body.results as Array<Record<string, unknown>>;
    const number = Number(original.slice(3));
    expect(results.map(({ id, name, amount }) => [id, name, amount])).toEqual([
      [`CS-${number + 1}`, 'Buyer', 400],
      [`CS-${number + 2}`, 'Seller', 600],
    ]);
    expect(event.results).toEqual([`CS-${number + 1}`, `CS-${number + 2}`]);
    expect(event.balance).toBe(`CS-${number + 2}`);

    const closed = await get(`/certificates/${original}`);
    expect(closed.body).toMatchObject({
      id: original,
      status: 'cancelled',
      closedBy: { id: event.id, type: 'transfer', at: event.at },
      replacedBy: [`CS-${number + 1}`, `CS-${number + 2}`],
    });
    expect((await get(`/certificates/CS-${number + 1}`)).body).toMatchObject({
      status: 'outstanding',
      issuedBy: { id: event.id, type: 'transfer' },
    });
    const after = await classRow('CS');
    expect(after).toMatchObject({
      outstanding: before.outstanding,
      issued: (before.issued as number) + 1000,
      certificates: (before.certificates as number) + 2,
      certificatesOutstanding: (before.certificatesOutstanding as number) + 1,
    });
    // The results share the event's signed write: their receipts prove them under its seal.
    const receipt = await get(`/certificates/CS-${number + 1}/receipt`);
    expect(receipt.status, JSON.stringify(receipt.body)).toBe(200);
    expect(receipt.body).toMatchObject({ index: 1 });
    expect(checkProof(results[0] as unknown as Certificate, receipt.body as unknown as Proof, signingKeys())).toBe('ok');
    const history = await get(`/certificates/CS-${number + 1}/events`);
    expect(history.body).toMatchObject({ status: 'outstanding', events: [{ id: event.id, type: 'transfer' }] });
  });

  it('cancels part of a certificate onto a balance certificate, and outstanding shares fall by the quantity', async () => {
    const id = await issued(100);
    const before = await classRow('CS');
    const reply = await send(`/certificates/${id}/cancellation`, { quantity: 30, reason: 'error at issuance' }, 'canceller');
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    expect(reply.body.event).toMatchObject({ type: 'cancellation', quantity: 30 });
    expect((reply.body.results as Array<Record<string, unknown>>).map(({ amount, name }) => [name, amount])).toEqual([['Seller', 70]]);
    expect(await classRow('CS')).toMatchObject({ outstanding: (before.outstanding as number) - 30 });
    expect((await get(`/certificates/${id}`)).body).toMatchObject({ status: 'cancelled' });
  });

  it('stops a certificate, refuses anything but its reissuance, then reissues it: superseded by the replacement', async () => {
    const id = await issued(50);
    expect((await send(`/certificates/${id}/stop`, { reason: 'reported lost' }, 'canceller')).status).toBe(201);
    expect((await get(`/certificates/${id}`)).body).toMatchObject({ status: 'stopped' });
    const next = (await classRow('CS')).nextId;
    const cancel = await send(`/certificates/${id}/cancellation`, {}, 'canceller');
    expect([cancel.status, (cancel.body.error as Record<string, unknown>).code]).toEqual([409, 'certificate_stopped']);
    const transfer = await send(`/certificates/${id}/transfer`, { transferees: [{ name: 'Thief', amount: 50 }] }, 'clerk');
    expect([transfer.status, (transfer.body.error as Record<string, unknown>).code]).toEqual([409, 'certificate_stopped']);
    expect((await classRow('CS')).nextId).toBe(next);
    const reissued = await send(`/certificates/${id}/reissuance`, { reason: 'replacement for a lost certificate' }, 'issuer');
    expect(reissued.status, JSON.stringify(reissued.body)).toBe(201);
    const [replacement] = reissued.body.results as Array<Record<string, unknown>>;
    expect(replacement).toMatchObject({ id: next, name: 'Seller', amount: 50 });
    expect((await get(`/certificates/${id}`)).body).toMatchObject({ status: 'superseded', replacedBy: [next] });
  });

  it('sets a class’s authorized shares with the board’s approval date, and refuses fewer than are outstanding', async () => {
    const reply = await send('/classes/PS/adjustment', { authorized: 20_000, approvedOn: '2026-11-30' }, 'secretary');
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    expect(reply.body).toMatchObject({
      event: { type: 'adjustment', class: 'PS', authorized: 20_000, approvedOn: '2026-11-30' },
      results: [],
    });
    expect(await classRow('PS')).toMatchObject({ authorized: 20_000 });
    await issued(15_000, 'Big Holder', 'PS');
    const below = await send('/classes/PS/adjustment', { authorized: 10_000, approvedOn: '2026-12-01' }, 'secretary');
    expect([below.status, (below.body.error as Record<string, unknown>).code]).toEqual([409, 'below_outstanding']);
  });

  it('defines a legend template, issues a certificate bearing it, and reissues it without the legend', async () => {
    const legend = {
      class: 'CS',
      id: 'rule-144',
      name: 'Rule 144',
      text: 'THESE SHARES HAVE NOT BEEN REGISTERED UNDER THE SECURITIES ACT.',
    };
    const defined = await send('/legends', legend, 'secretary');
    expect(defined.status, JSON.stringify(defined.body)).toBe(201);
    expect(defined.body.event).toMatchObject({ type: 'legend', legend: { id: 'rule-144', name: 'Rule 144', text: legend.text } });
    const again = await send('/legends', legend, 'secretary');
    expect([again.status, (again.body.error as Record<string, unknown>).code]).toEqual([409, 'duplicate_legend']);

    const next = (await classRow('CS')).nextId;
    const unborn = await send('/certificates', { name: 'Too Early', amount: 1, class: 'CS', terms: { legends: ['not-yet'] } });
    expect([unborn.status, (unborn.body.error as Record<string, unknown>).code]).toEqual([422, 'unknown_legend']);
    expect((await classRow('CS')).nextId).toBe(next);
    const terms = { holder: 'sh-7', legends: ['rule-144'], approvedOn: '2026-10-01', price: { amount: '0.0001', currency: 'USD' } };
    const id = await issued(10, 'Restricted Holder', 'CS', terms);
    expect((await get(`/certificates/${id}`)).body).toMatchObject({ terms, status: 'outstanding' });
    const unknown = await send(`/certificates/${id}/reissuance`, { terms: { holder: 'sh-7', legends: ['no-such'] } }, 'issuer');
    expect([unknown.status, (unknown.body.error as Record<string, unknown>).code]).toEqual([422, 'unknown_legend']);
    const lifted = await send(`/certificates/${id}/reissuance`, { terms: { holder: 'sh-7' }, reason: 'Rule 144 legend removed' }, 'issuer');
    expect(lifted.status, JSON.stringify(lifted.body)).toBe(201);
    expect((lifted.body.results as Array<Record<string, unknown>>)[0]).toMatchObject({ terms: { holder: 'sh-7' }, amount: 10 });
  });

  it('answers a holder’s position across certificates and classes: balance certificates keep the holder', async () => {
    const terms = { holder: 'sh-42' };
    const common = await issued(300, 'Holder Forty-Two', 'CS', terms);
    await issued(20, 'Holder Forty-Two', 'PS', terms);
    const sold = await send(`/certificates/${common}/transfer`, { transferees: [{ name: 'Buyer', amount: 100 }] }, 'clerk');
    const balance = (sold.body.event as Record<string, unknown>).balance as string;
    const { status, body } = await get('/holders/sh-42');
    expect(status).toBe(200);
    expect(body.positions).toEqual([
      { class: 'CS', outstanding: 200, certificatesOutstanding: 1 },
      { class: 'PS', outstanding: 20, certificatesOutstanding: 1 },
    ]);
    expect((body.certificates as Array<Record<string, unknown>>).map(({ id, status: standing }) => [id, standing])).toEqual([
      [common, 'cancelled'],
      [balance, 'outstanding'],
      [expect.stringMatching(/^PS-/), 'outstanding'],
    ]);
    expect((await get('/holders/nobody')).status).toBe(404);
  });

  it('gives each refusal its own code, and none takes a number: the next issuance gets the next one', async () => {
    const id = await issued(100);
    const open = await issued(5);
    await send(`/certificates/${id}/cancellation`, {}, 'canceller');
    const next = (await classRow('CS')).nextId;
    const refusals: Array<[string, unknown, keyof typeof keys, number, string]> = [
      ['/certificates/CS-999999/cancellation', {}, 'canceller', 404, 'unknown_certificate'],
      [`/certificates/${id}/cancellation`, {}, 'canceller', 409, 'certificate_not_outstanding'],
      [`/certificates/${id}/repurchase`, { quantity: 1 }, 'canceller', 409, 'certificate_not_outstanding'],
      [
        `/certificates/${open}/transfer`,
        {
          transferees: [
            { name: 'B', amount: 3 },
            { name: 'C', amount: 3 },
          ],
        },
        'clerk',
        422,
        'shares_not_conserved',
      ],
      ['/certificates/CS-1/transfer', { transferees: [{ name: 'B', amount: 1 }], extra: true }, 'clerk', 400, 'invalid_body'],
      ['/certificates/nonsense/stop', {}, 'canceller', 400, 'invalid_certificate_id'],
      ['/classes/CS/adjustment', { authorized: 1, approvedOn: '2026-02-30' }, 'secretary', 400, 'invalid_body'],
      ['/classes/ZZ/adjustment', { authorized: 1, approvedOn: '2026-02-03' }, 'secretary', 400, 'unknown_class'],
      ['/certificates/CS-1/transfer', { transferees: [{ name: 'B', amount: 1 }] }, 'canceller', 403, 'insufficient_scope'],
      ['/certificates/CS-1/cancellation', {}, 'clerk', 403, 'insufficient_scope'],
      ['/certificates/CS-1/reissuance', {}, 'secretary', 403, 'insufficient_scope'],
      ['/classes/CS/adjustment', { authorized: 1, approvedOn: '2026-02-03' }, 'issuer', 403, 'insufficient_scope'],
      ['/legends', { class: 'CS', id: 'x', name: 'x', text: 'x' }, 'clerk', 403, 'insufficient_scope'],
    ];
    for (const [path, body, who, status, code] of refusals) {
      const reply = await send(path, body, who);
      expect([path, who, reply.status, (reply.body.error as Record<string, unknown> | undefined)?.code]).toEqual([path, who, status, code]);
    }
    expect((await classRow('CS')).nextId).toBe(next);
    expect(await issued(1)).toBe(next);
  });

  it('answers a retried transfer with the same Idempotency-Key with the same event, marked Idempotent-Replayed', async () => {
    const id = await issued(10);
    const key = randomUUID();
    const body = { transferees: [{ name: 'Buyer', amount: 4 }] };
    const first = await send(`/certificates/${id}/transfer`, body, 'clerk', { 'idempotency-key': key });
    const retry = await send(`/certificates/${id}/transfer`, body, 'clerk', { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    // The key is that transfer's: not another event's, nor an issuance's (keys are per caller: the admin's own transfer here).
    expect(
      (
        await send(`/certificates/${(first.body.results as Array<{ id: string }>)[1]!.id}/transfer`, body, 'admin', {
          'idempotency-key': key,
        })
      ).status,
    ).toBe(201);
    for (const [path, other] of [
      [`/certificates/${id}/stop`, {}],
      ['/certificates', { name: 'Buyer', amount: 4, class: 'CS' }],
    ] as const) {
      const reused = await send(path, other, 'admin', { 'idempotency-key': key });
      expect([path, reused.status, (reused.body.error as Record<string, unknown>).code]).toEqual([path, 422, 'idempotency_key_reused']);
    }
  });

  it('takes an event on a follower, which forwards it to the writer; the follower then reads where the certificate stands', async () => {
    const id = await issued(1000);
    const reply = await send(
      `/certificates/${id}/transfer`,
      { transferees: [{ name: 'Remote Buyer', amount: 250 }] },
      'clerk',
      {},
      follower,
    );
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    expect(reply.body.event).toMatchObject({ type: 'transfer', certificate: id, quantity: 250 });
    const refused = await send(`/certificates/${id}/cancellation`, {}, 'canceller', {}, follower);
    expect([refused.status, (refused.body.error as Record<string, unknown>).code]).toEqual([409, 'certificate_not_outstanding']);
    await until('the follower has read the transfer', async () => (await get(`/certificates/${id}`, follower)).body.status === 'cancelled');
  });
});
