import { CertificateError } from '../../src/core/errors.js';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { ROLES, type Principal } from '../../src/core/principal.js';
import { errorHandler } from '../../src/http/errors.js';
import { callerOfAddress, rateLimit, type RateLimitSettings } from '../../src/http/rate-limit.js';
import type { RequestState } from '../../src/http/request-state.js';
import { TokenBuckets } from '../../src/http/token-buckets.js';

describe('TokenBuckets', () => {
  it('lets a burst through at once, then one request per 1/rate seconds, each key on its own', () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 10, burst: 3 }, 100, () => now);
    expect([1, 2, 3, 4].map(() => buckets.take('a').allowed)).toEqual([true, true, true, false]);
    expect(buckets.take('b').allowed).toBe(true);
    now += 99;
    expect(buckets.take('a').allowed).toBe(false);
    now += 2;
    expect(buckets.take('a')).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('says what is left, when it is full again, and when a refused caller may come back (at least 1 s)', () => {
    const now = 0;
    const buckets = new TokenBuckets({ perSecond: 2, burst: 4 }, 100, () => now);
    expect(buckets.take('a')).toEqual({ allowed: true, remaining: 3, fullInSeconds: 1, retryAfterSeconds: 0 });
    for (let index = 0; index < 3; index++) buckets.take('a');
    expect(buckets.take('a')).toEqual({ allowed: false, remaining: 0, fullInSeconds: 2, retryAfterSeconds: 1 });
    const slow = new TokenBuckets({ perSecond: 0.1, burst: 1 }, 100, () => now);
    slow.take('a');
    expect(slow.take('a').retryAfterSeconds).toBe(10);
  });

  it('holds at most maxKeys buckets under a flood of new keys, and keeps the one in use', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 2 }, 1000, () => 0);
    buckets.take('flooder');
    buckets.take('flooder');
    for (let index = 0; index < 100_000; index++) {
      buckets.take(`key-${index}`);
      // The flooder keeps sending between the new keys: its empty bucket is never the least recently used.
      if (index % 100 === 0) expect(buckets.take('flooder').allowed).toBe(false);
    }
    expect(buckets.size).toBeGreaterThan(500);
    expect(buckets.size).toBeLessThanOrEqual(1000);
  });
});

describe('callerOfAddress', () => {
  it('counts an IPv4 address (plain or mapped into IPv6) as itself, and an IPv6 address by its /64', () => {
    expect(callerOfAddress('203.0.113.7')).toBe('ip:203.0.113.7');
    expect(callerOfAddress('::ffff:203.0.113.7')).toBe('ip:203.0.113.7');
    expect(callerOfAddress('2001:db8:1:2:aaaa::1')).toBe('ip:2001:db8:1:2::/64');
    expect(callerOfAddress('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('ip:2001:db8:1:2::/64');
    expect(callerOfAddress('2001:db8::7')).toBe('ip:2001:db8:0:0::/64');
    expect(callerOfAddress('::1')).toBe('ip:0:0:0:0::/64');
  });
});

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * The edge as src/http/app.ts composes it, with a stand-in for the authentication middleware: the
 * principal is whoever `x-test-principal` names (none: a public request).
 */
async function limitedApp(settings: RateLimitSettings, proxy = false): Promise<string> {
  const app = new Koa({ proxy, maxIpsCount: 1 });
  const limit = rateLimit(settings);
  app.use(errorHandler(() => undefined));
  app.use(limit.refusals);
  app.use(async (ctx, next) => {
    const id = ctx.get('x-test-principal');
    // `refused`: credentials that do not prove anyone, as a wrong key or a forged token.
    if (id === 'refused') throw new CertificateError('unauthenticated', 'Expected valid credentials');
    if (id !== '') (ctx.state as RequestState).principal = { id, name: id, roles: new Set([ROLES[0]]) } satisfies Principal;
    await next();
  });
  app.use(limit.requests);
  app.use((ctx) => {
    ctx.body = { caller: ctx.ip };
  });
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const get = (url: string, headers: Record<string, string> = {}): Promise<Response> => fetch(url, { headers });

describe('the rate limit on real HTTP', () => {
  it('answers a flooding principal 429 too_many_requests with Retry-After and RateLimit fields, while another principal passes', async () => {
    // A token every 10 s: the flood's own duration, however slow the machine, refills nothing.
    const url = await limitedApp({ perSecond: 0.1, burst: 5 });
    const flood = await Promise.all(Array.from({ length: 20 }, () => get(url, { 'x-test-principal': 'key:flooder' })));
    const statuses = flood.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    const refused = flood.find((response) => response.status === 429)!;
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(refused.headers.get('ratelimit-policy')).toBe('default;q=5;w=50');
    expect(refused.headers.get('ratelimit')).toBe('default;r=0;t=10');
    expect(await refused.json()).toMatchObject({
      error: { code: 'too_many_requests', message: expect.stringContaining('at most 0.1 requests a second (bursts of 5)') },
    });

    // Another principal's quota is untouched: well within it, its answers carry no fields; past half
    // its burst they do, so it can pace itself before it is refused.
    const other = [];
    for (let index = 0; index < 3; index++) other.push(await get(url, { 'x-test-principal': 'key:someone-else' }));
    expect(other.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(other.map((response) => response.headers.get('ratelimit'))).toEqual([null, null, 'default;r=2;t=30']);
    expect(other[2]!.headers.get('ratelimit-policy')).toBe('default;q=5;w=50');
  });

  it('limits a caller whose credentials keep being refused by its address: 401 until its burst is spent, then 429, while a proven principal passes', async () => {
    const url = await limitedApp({ perSecond: 0.1, burst: 5 });
    const guesses: number[] = [];
    for (let i = 0; i < 8; i++) guesses.push((await get(url, { 'x-test-principal': 'refused', authorization: 'Bearer guess' })).status);
    expect(guesses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect((await get(url, { 'x-test-principal': 'key:honest' })).status).toBe(200);
  });

  it('lets the flooder in again once its bucket refills', async () => {
    const url = await limitedApp({ perSecond: 1, burst: 1 });
    expect((await get(url, { 'x-test-principal': 'key:a' })).status).toBe(200);
    const refused = await get(url, { 'x-test-principal': 'key:a' });
    expect(refused.status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, Number(refused.headers.get('retry-after')) * 1000 + 100));
    expect((await get(url, { 'x-test-principal': 'key:a' })).status).toBe(200);
  });

  it('limits requests without a principal by their address, and ignores X-Forwarded-For unless proxies are trusted', async () => {
    const direct = await limitedApp({ perSecond: 0.1, burst: 2 });
    const forged = await Promise.all(
      ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((address) => get(direct, { 'x-forwarded-for': address })),
    );
    expect(forged.map((response) => response.status)).toEqual([200, 200, 429]);

    const behindProxy = await limitedApp({ perSecond: 0.1, burst: 2 }, true);
    const clients = await Promise.all(
      ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((address) => get(behindProxy, { 'x-forwarded-for': `10.0.0.9, ${address}` })),
    );
    expect(clients.map((response) => response.status)).toEqual([200, 200, 200]);
    // One hop trusted: the address the proxy saw is the client, whatever the client wrote before it.
    expect(await clients[0]!.json()).toEqual({ caller: '198.51.100.1' });
  });
});
