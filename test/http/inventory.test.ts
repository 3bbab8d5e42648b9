import type { Certificate } from '../../src/core/certificate.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizedFetch } from '../support/credentials.js';
import { startApp, type TestApp } from '../support/app.js';
import { uniqueTopic } from '../support/broker.js';
import { concurrently, issue } from '../support/http.js';
import { splitIssued } from '../support/receipts.js';

const topic = uniqueTopic('inventory');
const classes = [
  { code: 'CS', authorized: 1000 },
  { code: 'PS', authorized: 500 },
];
let app: TestApp;

async function get(path: string, on: TestApp = app): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await authorizedFetch(`${on.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  app = await startApp(topic, classes);
});

afterAll(async () => {
  await app.close();
});

/** A certificate as GET /certificates/{id} answers it while no event has closed it. */
const outstanding = (certificate: Certificate): Certificate & { status: 'outstanding' } => ({ ...certificate, status: 'outstanding' });

describe('GET /classes and GET /certificates/:id against a real broker', () => {
  it('lists every class with authorized, issued and remaining shares, certificates and the next id', async () => {
    await issue(app.url, 'CS', 10);
    await issue(app.url, 'CS', 5);
    expect(await get('/classes')).toEqual({
      status: 200,
      body: {
        classes: [
          {
            class: 'CS',
            name: 'Common Stock',
            authorized: 1000,
            sharesIssued: 15,
            issued: 15,
            outstanding: 15,
            remaining: 985,
            certificates: 2,
            certificatesOutstanding: 2,
            nextId: 'CS-3',
            ready: true,
          },
          {
            class: 'PS',
            name: 'Preferred Stock',
            authorized: 500,
            sharesIssued: 0,
            issued: 0,
            outstanding: 0,
            remaining: 500,
            certificates: 0,
            certificatesOutstanding: 0,
            nextId: 'PS-1',
            ready: true,
          },
        ],
      },
    });
  });

  it('returns each certificate exactly as the log holds it, and where it stands, across many concurrent batches', async () => {
    await concurrently(300, 50, (index) => issue(app.url, index % 3 === 0 ? 'PS' : 'CS', 1, `Holder ${index}`));
    const committed = await app.committed();
    const found = await concurrently(committed.length, 20, async (index) => (await get(`/certificates/${committed[index]!.id}`)).body);
    expect(found).toEqual(committed.map(outstanding));
  });

  it('answers 404 not_found for a number not issued yet and for a class that does not exist', async () => {
    const missing = await get('/certificates/CS-100000');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'not_found', id: 'CS-100000' } } });
    expect(await get('/certificates/XS-1')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  it('answers 400 invalid_certificate_id for ids that cannot be certificate ids', async () => {
    for (const id of ['CS-0', 'CS-01', 'cs-1', 'CS-1.5', 'CS', '-1', 'CS-99999999999999999']) {
      expect(await get(`/certificates/${encodeURIComponent(id)}`)).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_certificate_id' } },
      });
    }
  });

  it('rebuilds the lookup and the counters from the log after a restart', async () => {
    const before = { classes: (await get('/classes')).body, committed: await app.committed() };
    await app.close();
    app = await startApp(topic, classes);
    expect((await get('/classes')).body).toEqual(before.classes);
    const found = await concurrently(
      before.committed.length,
      20,
      async (index) => (await get(`/certificates/${before.committed[index]!.id}`)).body,
    );
    expect(found).toEqual(before.committed.map(outstanding));
    const next = await issue(app.url, 'CS', 1);
    expect((await get(`/certificates/${next.body.id as string}`)).body).toEqual(outstanding(splitIssued(next.body).certificate));
  });
});
