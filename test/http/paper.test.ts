import { encodeRecords } from '../../src/core/record-format.js';
import { ledgerOn } from '../support/settings.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Certificate } from '../../src/core/certificate.js';
import { certificateDigest, groupDigest } from '../../src/paper/digest.js';
import { printer, type Printer } from '../../src/paper/printer.js';
import { startApp, type TestApp } from '../support/app.js';
import { uniqueTopic } from '../support/broker.js';
import { AUTHORIZATION } from '../support/credentials.js';
import { issue } from '../support/http.js';
import { splitIssued } from '../support/receipts.js';
import { readPdf, renderedDom } from '../support/paper-tools.js';
import { verifyLink } from '../../src/verify/verdict.js';

const topic = uniqueTopic('paper');
const classes = [
  { code: 'CS', authorized: 10_000, name: 'Common Stock' },
  { code: 'PS', authorized: 5_000 },
];
const PUBLIC_URL = 'https://shares.example.com';
let paper: Printer;
let app: TestApp;
let holder: Certificate;

/** As a reader with every role (the test admin) asks. */
function get(path: string, accept?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${app.url}${path}`, { headers: { ...AUTHORIZATION, ...(accept === undefined ? {} : { Accept: accept }), ...headers } });
}

/** As whoever scanned the paper asks: no credentials. */
function publicGet(path: string, accept?: string): Promise<Response> {
  return fetch(`${app.url}${path}`, { headers: accept === undefined ? {} : { Accept: accept } });
}

beforeAll(async () => {
  paper = printer({ companyName: 'Salt Bae Holdings, Inc.', publicUrl: PUBLIC_URL }, classes);
  app = await startApp(topic, classes, {}, { paper });
  holder = splitIssued((await issue(app.url, 'CS', 1250, 'Zoë <b>Ångström</b> & Sons')).body).certificate;
});

afterAll(async () => {
  await app.close();
  await paper.close();
});

describe('GET /certificates/:id as JSON, PDF and HTML (real broker)', () => {
  it('answers JSON by default and for */*, unchanged: the certificate as committed', async () => {
    for (const accept of [undefined, '*/*', 'application/json']) {
      const response = await get('/certificates/CS-1', accept);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ ...holder, status: 'outstanding' });
    }
  });

  it('answers a printable one-page PDF for Accept: application/pdf, with the configured company, class name and PUBLIC_URL in its QR code', async () => {
    const response = await get('/certificates/CS-1', 'application/pdf');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe('inline; filename="CS-1.pdf"');
    const digest = certificateDigest(holder);
    const reading = readPdf(Buffer.from(await response.arrayBuffer()));
    expect(reading.pages).toBe(1);
    for (const text of [
      'Salt Bae Holdings, Inc.',
      'Common Stock',
      'No. CS-1',
      'Zoë <b>Ångström</b> & Sons',
      'One Thousand Two Hundred Fifty (1,250)',
    ]) {
      expect(reading.text).toContain(text);
    }
    expect(reading.text).toContain(`Digest ${groupDigest(digest)}`);
    // Signed: the QR code holds the proof, for the public page at PUBLIC_URL, and it proves CS-1 as committed.
    const [link] = reading.qrCodes;
    expect(link).toMatch(new RegExp(`^${PUBLIC_URL}/verify#v1\\.[A-Za-z0-9_-]+$`));
    expect(verifyLink(link!, app.signing!)).toMatchObject({ status: 'genuine', certificate: holder });
  });

  it('answers a print-ready page for a browser, escaped and locked down by its Content-Security-Policy', async () => {
    const response = await get('/certificates/CS-1', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('Zoë &lt;b&gt;Ångström&lt;/b&gt; &amp; Sons');
    expect(html).not.toContain('<b>Ångström');
    // Signed: the proof link is in the QR code only; the page prints the digest and the seal.
    expect(html).toContain(groupDigest(certificateDigest(holder)));
    expect(html).toContain(`Signing key ${app.signing!.publicSet().keys[0]!.kid}`);
  });

  it('names a class without a configured name by its default (PS is Preferred Stock)', async () => {
    await issue(app.url, 'PS', 10);
    expect(await (await get('/certificates/PS-1', 'text/html')).text()).toContain('Preferred Stock');
  });

  it('is validated but kept by no shared cache: one ETag per representation, Vary: Accept, 304 for If-None-Match, Cache-Control: private, no-store', async () => {
    const tags = new Set<string>();
    for (const accept of ['application/json', 'application/pdf', 'text/html']) {
      const response = await get('/certificates/CS-1', accept);
      await response.arrayBuffer();
      expect(response.headers.get('vary')).toBe('Accept');
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      const etag = response.headers.get('etag')!;
      tags.add(etag);
      // fetch adds Cache-Control: no-cache to a conditional request unless told otherwise, and no-cache asks for the body.
      const again = await get('/certificates/CS-1', accept, { 'If-None-Match': etag, 'Cache-Control': 'max-age=0' });
      expect(again.status).toBe(304);
    }
    expect(tags.size).toBe(3);
  });

  it('answers 404 in every format for an unknown id and for a void record, and 406 for a format it cannot give', async () => {
    // A record that claims CS-2 but states an offset where it did not land: void under the log's rule.
    const stale = ledgerOn(topic, 'test-stale');
    await stale.connect();
    await stale.append(encodeRecords([{ ...holder, id: 'CS-2', number: 2, amount: 5, sharesIssued: 1255, offset: 0, request: 'stale:1' }]));
    await stale.disconnect();
    for (const id of ['CS-2', 'CS-99', 'XX-1']) {
      for (const accept of ['application/json', 'application/pdf', 'text/html']) {
        const response = await get(`/certificates/${id}`, accept);
        expect({ id, accept, status: response.status }).toEqual({ id, accept, status: 404 });
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
      }
    }
    const png = await get('/certificates/CS-1', 'image/png');
    expect(png.status).toBe(406);
    expect(await png.json()).toMatchObject({
      error: { code: 'not_acceptable', acceptable: ['application/json', 'application/pdf', 'text/html'] },
    });
    // The void record took no number: the next certificate is CS-2.
    expect((await issue(app.url, 'CS', 1)).body.id).toBe('CS-2');
  });
});

describe('GET /certificates/:id/verify, public (real broker)', () => {
  it('says, without credentials, that a printed digest matches, and shows only what the paper shows', async () => {
    const digest = certificateDigest(holder);
    const response = await publicGet(`/certificates/CS-1/verify?digest=${digest.toUpperCase()}`);
    expect(response.status).toBe(200);
    const { id, name, amount, issuedAt } = holder;
    expect(await response.json()).toEqual({
      id: 'CS-1',
      matches: true,
      digest,
      certificate: { id, class: 'CS', name, amount, issuedAt },
      status: 'outstanding',
      verdict: 'Genuine, and outstanding',
    });
  });

  it('says an altered paper does not match, and tells it nothing of the holder nor of the genuine digest', async () => {
    const forged = certificateDigest({ ...holder, amount: 12_500 });
    const response = await publicGet(`/certificates/CS-1/verify?digest=${forged}`);
    expect([response.status, await response.json()]).toEqual([200, { id: 'CS-1', matches: false }]);
    const page = await (await publicGet(`/certificates/CS-1/verify?digest=${forged}`, 'text/html')).text();
    expect(page).toContain('Does not match');
    for (const secret of ['1,250', 'Ångström', certificateDigest(holder), 'Common Stock']) expect(page).not.toContain(secret);
  });

  it('answers an id never issued exactly as a wrong digest: whether it exists is not told', async () => {
    const response = await publicGet('/certificates/CS-99/verify?digest=0123456789abcdef');
    expect([response.status, await response.json()]).toEqual([200, { id: 'CS-99', matches: false }]);
  });

  it('answers a phone that scanned the QR code with a page', async () => {
    const response = await publicGet(`/certificates/CS-1/verify?digest=${certificateDigest(holder)}`, 'text/html,*/*;q=0.8');
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await response.text();
    expect(page).toContain('Genuine');
    expect(page).toContain('1,250');
  });

  it('refuses a missing or malformed digest as invalid_digest', async () => {
    for (const query of ['', '?digest=', '?digest=xyz', '?digest=0123456789abcdef0', '?digest=a&digest=b']) {
      const response = await publicGet(`/certificates/CS-1/verify${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_digest');
    }
  });
});

describe('GET /docs', () => {
  it('serves the API document for people from local files, and Chromium renders it with no network but this server', async () => {
    const page = await publicGet('/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('src="/docs/swagger-ui-bundle.js"');
    expect(html).not.toMatch(/https?:\/\//);
    for (const [asset, type] of [
      ['swagger-ui-bundle.js', 'text/javascript'],
      ['swagger-ui.css', 'text/css'],
      ['start.js', 'text/javascript'],
    ]) {
      const response = await publicGet(`/docs/${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain(type);
    }
    expect((await get('/docs/..%2Fpackage.json')).status).toBe(404);
    expect((await get('/docs/index.html')).status).toBe(404);

    // Asynchronously: the server answering Chromium runs in this process.
    const dom = await renderedDom(`${app.url}/docs`);
    expect(dom).toContain('Issue the next certificate of a class');
    expect(dom).toContain('/certificates/{id}/verify');
  });
});
