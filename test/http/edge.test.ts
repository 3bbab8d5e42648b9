import { AUTHORIZATION } from '../support/credentials.js';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { PAGE_SECURITY_POLICY } from '../../src/paper/html.js';
import { printer, type Printer } from '../../src/paper/printer.js';
import { startInstance } from '../../src/instance.js';
import { createLogger } from '../../src/monitoring/logger.js';
import { startApp, type TestApp } from '../support/app.js';
import { broker, uniqueTopic } from '../support/broker.js';
import { issue } from '../support/http.js';
import { readPdf } from '../support/paper-tools.js';
import { freePort } from '../support/service.js';

const classes = [{ code: 'CS', authorized: 10_000 }];

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A GET, with the test admin's credentials, and headers fetch will not send as given (Host, X-Forwarded-*). */
function get(url: string, path: string, headers: Record<string, string>, authorized = true): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = request(new URL(path, url), { headers: authorized ? { ...AUTHORIZATION, ...headers } : headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    call.on('error', reject);
    call.end();
  });
}

describe('security headers on every answer (real HTTP, real broker)', () => {
  let plain: TestApp;
  let https: TestApp;
  let paper: Printer;

  beforeAll(async () => {
    paper = printer({ companyName: 'Example Corporation', publicUrl: 'https://shares.example.com' }, classes);
    [plain, https] = await Promise.all([
      startApp(uniqueTopic('edge-plain'), classes),
      startApp(uniqueTopic('edge-https'), classes, {}, { paper }),
    ]);
    for (const app of [plain, https]) expect((await issue(app.url, 'CS', 10, 'Ada Lovelace')).status).toBe(201);
  });

  afterAll(async () => {
    await Promise.all([plain.close(), https.close()]);
    await paper.close();
  });

  it('says nosniff and no-referrer on JSON, errors, pages and the PDF', async () => {
    for (const [path, accept] of [
      ['/certificates/CS-1', 'application/json'],
      ['/certificates/CS-1', 'text/html'],
      ['/certificates/CS-1', 'application/pdf'],
      ['/certificates/CS-99', 'application/json'],
      ['/healthz', '*/*'],
      ['/nowhere', '*/*'],
    ] as const) {
      const answer = await get(plain.url, path, { accept });
      expect(answer.headers['x-content-type-options'], path).toBe('nosniff');
      expect(answer.headers['referrer-policy'], path).toBe('no-referrer');
      expect(answer.headers['strict-transport-security'], path).toBeUndefined();
    }
  });

  it("forbids framing every page: the certificate, the verification and the API's documentation", async () => {
    expect(PAGE_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    for (const path of ['/certificates/CS-1', '/certificates/CS-1/verify?digest=0000000000000000', '/docs']) {
      const answer = await get(plain.url, path, { accept: 'text/html' });
      expect(answer.status, path).toBe(200);
      expect(answer.headers['content-security-policy'], path).toMatch(/frame-ancestors 'none'/);
    }
  });

  it('sends HSTS only when PUBLIC_URL is https', async () => {
    for (const path of ['/certificates/CS-1', '/healthz', '/nowhere']) {
      const answer = await get(https.url, path, { accept: '*/*' });
      expect(answer.headers['strict-transport-security'], path).toBe('max-age=31536000');
    }
  });
});

describe('with PUBLIC_URL unset, the Host header decides nothing on paper', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(uniqueTopic('edge-host'), classes);
    expect((await issue(app.url, 'CS', 10, 'Ada Lovelace')).status).toBe(201);
  });
  afterAll(() => app.close());

  it('prints the same page and the same PDF, QR code included, whatever Host and X-Forwarded-* say', async () => {
    const origin = app.url;
    const forged = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
    const [page, forgedPage] = await Promise.all([
      get(app.url, '/certificates/CS-1', { accept: 'text/html' }),
      get(app.url, '/certificates/CS-1', { accept: 'text/html', ...forged }),
    ]);
    expect(forgedPage.body.toString()).toBe(page.body.toString());
    expect(page.body.toString()).not.toContain('evil.example');

    const pdf = await get(app.url, '/certificates/CS-1', { accept: 'application/pdf' });
    const forgedPdf = await get(app.url, '/certificates/CS-1', { accept: 'application/pdf', ...forged });
    expect(forgedPdf.body.equals(pdf.body)).toBe(true);
    expect(readPdf(pdf.body).qrCodes[0]).toMatch(new RegExp(`^${origin}/verify#v1\\.[A-Za-z0-9_-]+$`));

    const verify = await get(app.url, '/certificates/CS-1/verify?digest=0000000000000000', { accept: 'text/html', ...forged });
    expect(verify.body.toString()).not.toContain('evil.example');
  });
});

describe('TRUST_PROXY and the rate limit as the app composes them', () => {
  it('counts requests by the address X-Forwarded-For gives only when a proxy is trusted, and carries RateLimit fields on every answer', async () => {
    const rateLimit = { perSecond: 0.1, burst: 1 };
    const [direct, proxied] = await Promise.all([
      startApp(uniqueTopic('edge-direct'), classes, {}, { edge: { trustProxyHops: 0, rateLimit } }),
      startApp(uniqueTopic('edge-proxied'), classes, {}, { edge: { trustProxyHops: 1, rateLimit } }),
    ]);
    try {
      const statuses = async (url: string): Promise<number[]> => {
        const answers: Answer[] = [];
        for (const client of ['198.51.100.1', '198.51.100.2'])
          // Without credentials: a public request counts against its address.
          answers.push(await get(url, '/healthz', { 'x-forwarded-for': `203.0.113.9, ${client}` }, false));
        expect(answers[0]!.headers.ratelimit).toBe('default;r=0;t=10');
        expect(answers[0]!.headers['ratelimit-policy']).toBe('default;q=1;w=10');
        return answers.map((answer) => answer.status);
      };
      // Untrusted, the header is the client's word: both requests are the same caller, the peer.
      expect(await statuses(direct.url)).toEqual([200, 429]);
      expect(await statuses(proxied.url)).toEqual([200, 200]);
    } finally {
      await Promise.all([direct.close(), proxied.close()]);
    }
  });
});

describe('MAX_CONNECTIONS on a running instance', () => {
  it('closes connections past the cap at once, and takes new ones again when one closes', async () => {
    const port = await freePort();
    const config = loadConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      KAFKA_BROKERS: broker().brokers.join(','),
      KAFKA_TOPIC: uniqueTopic('edge-connections'),
      ADVERTISED_URL: `http://127.0.0.1:${port}`,
      SHARE_CLASSES: 'CS=100',
      MAX_CONNECTIONS: '3',
      LOG_LEVEL: 'silent',
    });
    const instance = await startInstance(config, createLogger('silent'));
    const open: Socket[] = [];
    /** Opens a connection and asks /healthz on it; resolves with the status line, or 'dropped'. */
    const ask = async (): Promise<string> => {
      const socket = connect(port, '127.0.0.1');
      open.push(socket);
      await once(socket, 'connect');
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      return new Promise((resolve) => {
        socket.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\r\n')[0]!));
        socket.once('close', () => resolve('dropped'));
        socket.once('error', () => resolve('dropped'));
      });
    };
    try {
      for (let index = 0; index < 3; index++) expect(await ask()).toBe('HTTP/1.1 200 OK');
      expect(await ask()).toBe('dropped');
      open[0]!.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await ask()).toBe('HTTP/1.1 200 OK');
    } finally {
      for (const socket of open) socket.destroy();
      await instance.close();
    }
  }, 60_000);
});
