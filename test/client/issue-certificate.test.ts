import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IssueError, issueCertificate } from '../../src/client/issue-certificate.js';

/**
 * The client's retry logic against a scripted HTTP server (each call answers the next step); that
 * the retries are exactly-once against the real service is proven in test/http/idempotency.test.ts
 * and test/cluster/idempotent-retry.test.ts.
 */
type Step = 'reset' | 'hang' | { status: number; body?: unknown; headers?: Record<string, string> };

const CERTIFICATE = { id: 'CS-7', class: 'CS', number: 7, name: 'Ada', amount: 1, issuedAt: '2026-01-01T00:00:00.000Z', sharesIssued: 7 };
const servers: Array<{ close(): void }> = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function scripted(
  steps: Step[],
): Promise<{ url: string; keys: Array<string | undefined>; bodies: unknown[]; authorizations: Array<string | undefined> }> {
  const keys: Array<string | undefined> = [];
  const bodies: unknown[] = [];
  const authorizations: Array<string | undefined> = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      keys.push(request.headers['idempotency-key'] as string | undefined);
      authorizations.push(request.headers.authorization);
      bodies.push(JSON.parse(text));
      const step = steps.shift() ?? { status: 500 };
      if (step === 'reset') return void request.socket.destroy();
      if (step === 'hang') return;
      response.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      response.end(JSON.stringify(step.body ?? {}));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push({
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, keys, bodies, authorizations };
}

const unavailable = { status: 503, body: { error: { code: 'log_unavailable', message: 'retry later' } } };
const ASK = { name: 'Ada', amount: 1, class: 'CS' };
const API_KEY = 'stc_0123456789abcdef_an-api-key-secret';
const FAST = { baseDelayMs: 1, maxDelayMs: 20, credentials: API_KEY };

describe('issueCertificate (the typed client)', () => {
  it('retries 503, 408, 502, 504, resets and timeouts under one key until the certificate comes, and says it was replayed', async () => {
    const server = await scripted([
      unavailable,
      { status: 408, body: { error: { code: 'request_timeout', message: 'slow' } } },
      'reset',
      { status: 502 },
      'hang',
      { status: 504 },
      { status: 201, body: CERTIFICATE, headers: { 'idempotent-replayed': 'true' } },
    ]);
    const retries: string[] = [];
    const result = await issueCertificate(ASK, {
      baseUrl: server.url,
      ...FAST,
      // Long enough for every scripted answer on a loaded machine; only the hang waits it out.
      attemptTimeoutMs: 1500,
      onRetry: ({ reason }) => retries.push(reason.split(' ')[0]!),
    });
    expect(result).toEqual({ certificate: CERTIFICATE, replayed: true, idempotencyKey: server.keys[0], attempts: 7 });
    expect(retries).toEqual(['503', '408', 'no', '502', 'no', '504']);
    expect(new Set(server.keys).size).toBe(1);
    expect(server.keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.bodies.every((body) => JSON.stringify(body) === JSON.stringify(ASK))).toBe(true);
  });

  it('throws a final error at once, with the service code, status and details', async () => {
    const server = await scripted([
      { status: 409, body: { error: { code: 'insufficient_shares', message: 'Class CS has 0 left', remaining: 0 } } },
    ]);
    const error = (await issueCertificate(ASK, { baseUrl: server.url, ...FAST }).catch((thrown: unknown) => thrown)) as IssueError;
    expect(error).toBeInstanceOf(IssueError);
    expect(error).toMatchObject({ code: 'insufficient_shares', status: 409, canRetry: false, attempts: 1, details: { remaining: 0 } });
    expect(server.keys).toHaveLength(1);
  });

  it('gives up after maxAttempts with a retryable error that names the key to retry with later', async () => {
    const server = await scripted([unavailable, unavailable, unavailable]);
    const error = (await issueCertificate(ASK, { baseUrl: server.url, idempotencyKey: 'order-17', maxAttempts: 3, ...FAST }).catch(
      (thrown: unknown) => thrown,
    )) as IssueError;
    expect(error).toMatchObject({ code: 'log_unavailable', canRetry: true, attempts: 3, idempotencyKey: 'order-17' });
    expect(error.message).toContain('Idempotency-Key order-17');
    expect(server.keys).toEqual(['order-17', 'order-17', 'order-17']);
  });

  it('waits at least Retry-After between attempts, within maxDelayMs', async () => {
    const server = await scripted([
      { ...unavailable, headers: { 'retry-after': '1' } },
      { status: 201, body: CERTIFICATE },
    ]);
    const delays: number[] = [];
    await issueCertificate(ASK, {
      baseUrl: server.url,
      credentials: API_KEY,
      baseDelayMs: 1,
      onRetry: ({ delayMs }) => delays.push(delayMs),
    });
    expect(delays).toEqual([1000]);
  });

  it('when the signal aborts an attempt in flight, throws a retryable IssueError with the key it made, the attempts and the reason', async () => {
    const server = await scripted(['hang']);
    const controller = new AbortController();
    const reason = new Error('the order was cancelled');
    const call = issueCertificate(ASK, { baseUrl: server.url, ...FAST, signal: controller.signal }).catch((thrown: unknown) => thrown);
    while (server.keys.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(reason);
    const error = (await call) as IssueError;
    expect(error).toBeInstanceOf(IssueError);
    expect(error).toMatchObject({ code: 'aborted', status: undefined, canRetry: true, attempts: 1, idempotencyKey: server.keys[0] });
    expect(error.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.cause).toBe(reason);
    expect(error.message).toContain(`Idempotency-Key ${server.keys[0]}`);
  });

  it('when the signal aborts the wait between attempts, throws at once a retryable IssueError with the key it made and the attempts made', async () => {
    const server = await scripted([{ ...unavailable, headers: { 'retry-after': '5' } }, unavailable]);
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const waits: number[] = [];
    const started = Date.now();
    const error = (await issueCertificate(ASK, {
      baseUrl: server.url,
      credentials: API_KEY,
      baseDelayMs: 1,
      maxDelayMs: 10_000,
      signal: controller.signal,
      onRetry: ({ delayMs }) => {
        waits.push(delayMs);
        setTimeout(() => controller.abort(reason), 50);
      },
    }).catch((thrown: unknown) => thrown)) as IssueError;
    expect(waits).toEqual([5000]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(IssueError);
    expect(error).toMatchObject({ code: 'aborted', canRetry: true, attempts: 1, idempotencyKey: server.keys[0] });
    expect(error.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.cause).toBe(reason);
    expect(server.keys).toHaveLength(1);
  });

  it('sends an API key as the bearer token of every attempt', async () => {
    const server = await scripted([unavailable, { status: 201, body: CERTIFICATE }]);
    await issueCertificate(ASK, { baseUrl: server.url, ...FAST });
    expect(server.authorizations).toEqual([`Bearer ${API_KEY}`, `Bearer ${API_KEY}`]);
  });

  it('asks a token provider before each attempt, so a refreshed token is sent on the retry', async () => {
    const server = await scripted([unavailable, { status: 201, body: CERTIFICATE }]);
    let issued = 0;
    await issueCertificate(ASK, { baseUrl: server.url, ...FAST, credentials: () => Promise.resolve(`token-${++issued}`) });
    expect(server.authorizations).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('gives up at once on 401 and 403, which another attempt would not change', async () => {
    for (const [status, code] of [
      [401, 'unauthenticated'],
      [403, 'insufficient_scope'],
    ] as const) {
      const server = await scripted([{ status, body: { error: { code, message: 'no' } } }]);
      const error = (await issueCertificate(ASK, { baseUrl: server.url, ...FAST }).catch((thrown: unknown) => thrown)) as IssueError;
      expect(error).toMatchObject({ code, status, canRetry: false, attempts: 1 });
    }
  });

  it('goes round the instances it is given, one per attempt', async () => {
    const [down, up] = [await scripted([unavailable]), await scripted([{ status: 201, body: CERTIFICATE }])];
    const result = await issueCertificate(ASK, { baseUrl: [down.url, up.url], ...FAST });
    expect([result.attempts, down.keys, up.keys]).toEqual([2, [result.idempotencyKey], [result.idempotencyKey]]);
  });
});
