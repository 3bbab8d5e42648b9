import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { ApiKeyStore } from '../../src/auth/key-store.js';
import { startOidcVerifier } from '../../src/auth/oidc.js';
import { OidcSignIn } from '../../src/auth/oidc-sign-in.js';
import { SessionSeal, sessionKey } from '../../src/auth/session.js';
import type { ConsoleSessions } from '../../src/http/console-session.js';
import { CONSOLE_SECURITY_POLICY } from '../../src/http/console-static.js';
import { LiveFeed } from '../../src/http/live.js';
import { createLogger } from '../../src/monitoring/logger.js';
import { startApp, type TestApp } from '../support/app.js';
import { uniqueTopic } from '../support/broker.js';
import { keysWithRoles } from '../support/credentials.js';
import { freePort } from '../support/free-port.js';
import { until } from '../support/load.js';
import { CONSOLE_CLIENT, clientSecret } from '../support/oidc-clients.js';
import { startOidcProvider, TEST_AUDIENCE, type TestProvider } from '../support/oidc-provider.js';

const CLASSES = [{ code: 'CS', authorized: 1_000_000 }];
const SECRET = 'a console session secret shared by every instance of this test';
const logger = createLogger('silent');

function keysFile(): { file: string; admin: string; reader: string } {
  const { file, keys } = keysWithRoles({ admin: ['admin'], reader: ['certificates:read'] });
  return { file, ...keys };
}

/** A browser's cookies, as far as these tests need them: by name, whatever host or path set them. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (/Max-Age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  get header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', this.header);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.take(response);
    return response;
  }
}

describe('the console server: sessions, CSRF, sign-in, list, live feed, static files', () => {
  let provider: TestProvider;
  let writer: TestApp;
  let follower: TestApp;
  let keys: ReturnType<typeof keysFile>;
  const closers: Array<() => void> = [];
  const consoleDir = mkdtempSync(join(tmpdir(), 'console-dist-'));
  let live: LiveFeed;

  beforeAll(async () => {
    keys = keysFile();
    const port = await freePort();
    provider = await startOidcProvider({ consoleRedirectUris: [`http://127.0.0.1:${port}/console/oidc/callback`] });
    const oidc = { issuer: provider.issuer, audience: TEST_AUDIENCE, rolesClaim: 'roles', clockSkewSeconds: 5 };
    const topic = uniqueTopic('console');
    const instance = () => {
      const store = new ApiKeyStore(keys.file);
      const tokens = startOidcVerifier(oidc, logger);
      closers.push(() => store.close());
      const signIn = new OidcSignIn(
        oidc,
        { clientId: CONSOLE_CLIENT, clientSecret: clientSecret(CONSOLE_CLIENT), scope: 'openid certificates' },
        tokens,
        logger,
      );
      // The same secret on both: a session opened on one is taken by the other.
      const sessions: ConsoleSessions = { seal: new SessionSeal(sessionKey(SECRET), 60), signIn, logger };
      return { authenticator: new Authenticator({ keys: store, tokens }), sessions };
    };
    writer = await startApp(topic, CLASSES, {}, { ...instance(), consoleDir }, { port });
    live = new LiveFeed(writer.node, { maxSubscribers: 2, heartbeatMs: 200 });
    follower = await startApp(topic, CLASSES, {}, { ...instance(), live });
    await until(
      () => 'the first instance to write and the second to follow',
      async () => writer.node.status().role === 'writer' && follower.node.status().role === 'follower',
      30_000,
    );
  }, 120_000);

  afterAll(async () => {
    await follower?.close();
    await writer?.close();
    for (const close of closers) close();
    await provider?.stop();
  });

  const origin = () => writer.url;
  async function signInWithKey(key: string, url = writer.url): Promise<{ jar: Jar; csrf: string }> {
    const jar = new Jar();
    const response = await jar.fetch(`${url}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify({ apiKey: key }),
    });
    expect(response.status).toBe(200);
    return { jar, csrf: ((await response.json()) as { csrf: string }).csrf };
  }
  const issueBody = JSON.stringify({ class: 'CS', amount: 5, name: 'Grace Hopper' });

  it('signs in with an API key into an HttpOnly, Secure, SameSite=Strict __Host- cookie that carries the key’s roles', async () => {
    const response = await fetch(`${writer.url}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: origin() },
      body: JSON.stringify({ apiKey: keys.reader }),
    });
    expect(response.status).toBe(200);
    const [cookie] = response.headers.getSetCookie();
    expect(cookie).toMatch(/^__Host-console=[\w.-]+; Path=\/; Max-Age=3600; HttpOnly; Secure; SameSite=Strict$/);
    // Encrypted: the cookie does not show whose session it is.
    expect(cookie).not.toContain('reader');
    const session = (await response.json()) as { principal: { id: string }; roles: string[]; csrf: string; expiresAt: string };
    expect(session.roles).toEqual(['certificates:read']);
    expect(session.principal.id).toMatch(/^key:[0-9a-f]{16}$/);
    expect(session.csrf).toMatch(/^[\w-]{43}$/);
    expect(Date.parse(session.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('signs in from the form with a redirect, and shows a refused key’s failure from a closed list, never the key', async () => {
    const form = (apiKey: string) =>
      fetch(`${writer.url}/console/session`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: origin() },
        body: new URLSearchParams({ apiKey }),
      });
    const good = await form(keys.admin);
    expect([good.status, good.headers.get('location')]).toEqual([303, '/console/']);
    const bad = await form(`${keys.admin.slice(0, -4)}AAAA`);
    expect([bad.status, bad.headers.get('location')]).toEqual([303, '/console/login?error=invalid_key']);
    expect(bad.headers.getSetCookie()).toEqual([]);
    const page = await fetch(`${writer.url}/console/login?error=invalid_key`);
    expect(page.headers.get('content-security-policy')).toBe(CONSOLE_SECURITY_POLICY);
    const html = await page.text();
    expect(html).toContain('That API key was not accepted');
    expect(html).toContain('href="/console/oidc/start"');
    expect(html).not.toMatch(/<script|style=/);
    // Anything else in ?error= shows nothing.
    expect(await (await fetch(`${writer.url}/console/login?error=%3Cscript%3E`)).text()).not.toContain('script');
  });

  it('refuses a sign-in from another origin, or without Origin, as csrf_failed', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, {}]) {
      const response = await fetch(`${writer.url}/console/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ apiKey: keys.admin }),
      });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('csrf_failed');
    }
  });

  it('authenticates the API by the session cookie; unsafe methods need the CSRF token and this origin', async () => {
    const { jar, csrf } = await signInWithKey(keys.admin);
    const post = (headers: Record<string, string>) =>
      jar.fetch(`${writer.url}/certificates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: issueBody,
      });
    for (const [headers, why] of [
      [{ origin: origin() }, 'X-CSRF-Token'],
      // The last character changed: one of 16 (the token's last 4 bits), so not always to the same one.
      [{ origin: origin(), 'x-csrf-token': `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'E' : 'A'}` }, 'X-CSRF-Token'],
      [{ 'x-csrf-token': csrf }, 'Origin'],
      [{ 'x-csrf-token': csrf, origin: 'http://127.0.0.1:1' }, 'Origin'],
    ] as const) {
      const refused = await post(headers);
      expect(refused.status).toBe(403);
      const { error } = (await refused.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('csrf_failed');
      expect(error.message).toContain(why);
    }
    const issued = await post({ origin: origin(), 'x-csrf-token': csrf });
    expect(issued.status).toBe(201);
    const { id, principal } = (await issued.json()) as { id: string; principal?: string };
    expect(principal).toBeUndefined();
    expect((await jar.fetch(`${writer.url}/certificates/${id}`)).status).toBe(200);
    // The other instance takes the same cookie: the key is derived from the secret they share.
    expect((await jar.fetch(`${follower.url}/console/session`)).status).toBe(200);
  });

  it('refuses a read-only session’s POST with insufficient_scope, even with a valid CSRF token', async () => {
    const { jar, csrf } = await signInWithKey(keys.reader);
    const response = await jar.fetch(`${writer.url}/certificates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: origin(), 'x-csrf-token': csrf },
      body: issueBody,
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope');
  });

  it('refuses an expired session, a session sealed under another key, and signs out by clearing the cookie', async () => {
    const admin = (await signInWithKey(keys.admin)).jar.cookies.get('__Host-console')!;
    const principal = (await new SessionSeal(sessionKey(SECRET), 60).unseal(admin))!.principal;
    const twoHoursAgo = new SessionSeal(sessionKey(SECRET), 60, () => Date.now() - 2 * 3600_000);
    const expired = await twoHoursAgo.seal(twoHoursAgo.open(principal));
    const foreign = new SessionSeal(sessionKey('another secret, another cluster'), 60);
    for (const sealed of [expired, await foreign.seal(foreign.open(principal))]) {
      const response = await fetch(`${writer.url}/console/session`, { headers: { cookie: `__Host-console=${sealed}` } });
      expect(response.status).toBe(401);
      expect((await fetch(`${writer.url}/classes`, { headers: { cookie: `__Host-console=${sealed}` } })).status).toBe(401);
    }
    const { jar, csrf } = await signInWithKey(keys.admin);
    const out = await jar.fetch(`${writer.url}/console/logout`, { method: 'POST', headers: { origin: origin(), 'x-csrf-token': csrf } });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()).toEqual(['__Host-console=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict']);
    expect((await jar.fetch(`${writer.url}/console/session`)).status).toBe(401);
  });

  it('signs in through the real provider by the authorization code with PKCE, with the roles of the person’s access token', async () => {
    const jar = new Jar();
    const start = await jar.fetch(`${writer.url}/console/oidc/start`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).toBe(provider.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('nonce')).toMatch(/^[\w-]{43}$/);
    expect(start.headers.getSetCookie()[0]).toMatch(/^__Host-console-flow=[\w.-]+; Path=\/; Max-Age=600; HttpOnly; Secure; SameSite=Lax$/);
    authorize.searchParams.set('login_hint', 'secretary');
    // Through the provider's sign-in and consent, to the callback.
    let response = await jar.fetch(authorize.href);
    for (let hops = 0; hops < 10 && !(response.headers.get('location') ?? '').startsWith(`${writer.url}/console/oidc/callback`); hops++) {
      expect([302, 303], await response.clone().text()).toContain(response.status);
      response = await jar.fetch(new URL(response.headers.get('location')!, provider.issuer).href);
    }
    const callback = await jar.fetch(response.headers.get('location')!);
    expect(callback.status).toBe(200);
    expect(await callback.text()).toContain('url=/console/');
    const session = (await (await jar.fetch(`${writer.url}/console/session`)).json()) as { principal: { id: string }; roles: string[] };
    expect(session.principal.id).toBe(`oidc:${provider.issuer}#secretary`);
    expect(session.roles).toEqual([
      'certificates:cancel',
      'certificates:issue',
      'certificates:read',
      'certificates:transfer',
      'classes:adjust',
    ]);
    // The callback cannot be replayed: its flow cookie is gone, and the code is spent.
    const replay = await jar.fetch(response.headers.get('location')!);
    expect([replay.status, replay.headers.get('location')]).toEqual([303, '/console/login?error=sign_in_expired']);
  });

  it('refuses a callback whose state is not the flow’s, saying so without what it carried', async () => {
    const jar = new Jar();
    await jar.fetch(`${writer.url}/console/oidc/start`);
    const response = await jar.fetch(`${writer.url}/console/oidc/callback?code=stolen-code&state=forged`);
    expect([response.status, response.headers.get('location')]).toEqual([303, '/console/login?error=state_mismatch']);
    expect(jar.cookies.has('__Host-console')).toBe(false);
  });

  it('lists a class’s certificates by page, newest first or oldest first, and searches by id, name prefix and holder', async () => {
    const { jar, csrf } = await signInWithKey(keys.admin);
    const names = ['Ada Lovelace', 'Alan Turing', 'Ada Byron', 'Edsger Dijkstra'];
    for (const name of names) {
      const response = await jar.fetch(`${writer.url}/certificates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: origin(), 'x-csrf-token': csrf },
        body: JSON.stringify({ class: 'CS', amount: 1, name, ...(name === 'Alan Turing' ? { terms: { holder: 'turing' } } : {}) }),
      });
      expect(response.status).toBe(201);
    }
    type Page = { items: Array<{ id: string; name: string; status: string }>; next?: number; scanned?: number };
    const list = async (query: string): Promise<Page> => {
      const response = await jar.fetch(`${writer.url}/certificates?class=CS&${query}`);
      expect(response.status).toBe(200);
      return (await response.json()) as Page;
    };
    const total = writer.node.figures('CS')!.certificates;
    const first = await list('limit=3');
    expect(first.items.map(({ id }) => id)).toEqual([total, total - 1, total - 2].map((n) => `CS-${n}`));
    expect(first.items[0]!.status).toBe('outstanding');
    expect(first.next).toBe(total - 2);
    const seen: string[] = [];
    for (let page: Page | undefined = await list('order=asc&limit=2'); ;) {
      seen.push(...page.items.map(({ id }) => id));
      if (page.next === undefined) break;
      page = await list(`order=asc&limit=2&after=${page.next}`);
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, at) => `CS-${at + 1}`));
    const ada = await list('q=ada');
    expect(ada.items.map(({ name }) => name)).toEqual(['Ada Byron', 'Ada Lovelace']);
    expect(ada.scanned).toBe(total);
    expect((await list('q=CS-2')).items.map(({ id }) => id)).toEqual(['CS-2']);
    expect((await list('holder=turing')).items.map(({ name }) => name)).toEqual(['Alan Turing']);
    for (const query of ['class=XX', 'class=CS&limit=101', 'class=CS&after=-1', 'class=CS&order=up', `class=CS&q=${'a'.repeat(101)}`]) {
      expect((await jar.fetch(`${writer.url}/certificates?${query}`)).status).toBe(400);
    }
  });

  it('streams, on the follower, a certificate issued on the writer, with heartbeats; and bounds the streams', async () => {
    const { jar } = await signInWithKey(keys.reader, follower.url);
    const controller = new AbortController();
    const stream = await jar.fetch(`${follower.url}/console/live`, { signal: controller.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const issued = await fetch(`${writer.url}/certificates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.admin}` },
      body: JSON.stringify({ class: 'CS', amount: 7, name: 'Live Wire' }),
    });
    const { id } = (await issued.json()) as { id: string };
    const deadline = Date.now() + 15_000;
    while (!(text.includes(`"id":"${id}"`) && text.includes(': heartbeat')) && Date.now() < deadline)
      text += (await reader.read()).value ?? '';
    const event = /event: certificate\ndata: (.*)\n\n/.exec(text.slice(text.indexOf(`"id":"${id}"`) - 40));
    expect(JSON.parse(event![1]!)).toMatchObject({ id, name: 'Live Wire', amount: 7, status: 'outstanding' });
    expect(text).toContain(': heartbeat');
    // Two streams at most on this instance (maxSubscribers: 2): the third is refused, retryable.
    const second = await jar.fetch(`${follower.url}/console/live`, { signal: controller.signal });
    const third = await jar.fetch(`${follower.url}/console/live`);
    expect(third.status).toBe(503);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('overloaded');
    expect(second.status).toBe(200);
    controller.abort();
    await until(
      () => 'the streams to close',
      async () => live.subscribers === 0,
      5000,
    );
    // Without a session nor a key: no stream.
    expect((await fetch(`${follower.url}/console/live`)).status).toBe(401);
  });

  it('answers GET /audit/voids to audit:read only', async () => {
    const admin = await fetch(`${writer.url}/audit/voids`, { headers: { authorization: `Bearer ${keys.admin}` } });
    expect(admin.status).toBe(200);
    expect(await admin.json()).toEqual({ total: 0, voids: [], listed: 0 });
    expect((await fetch(`${writer.url}/audit/voids`, { headers: { authorization: `Bearer ${keys.reader}` } })).status).toBe(403);
  });

  it('serves the built console under the strict CSP, assets cached for a year; 503 saying how to build when it is missing', async () => {
    const missing = await fetch(`${follower.url}/console/`);
    // The follower was given no consoleDir: dist/console of this checkout, which tests do not build.
    if (missing.status !== 200) {
      expect(missing.status).toBe(503);
      expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('npm run build');
      expect(missing.headers.get('content-security-policy')).toBe(CONSOLE_SECURITY_POLICY);
    }
    expect((await fetch(`${writer.url}/console/`)).status).toBe(503);
    mkdirSync(join(consoleDir, 'assets'), { recursive: true });
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><script type="module" src="/console/assets/app-1a2b.js"></script>');
    writeFileSync(join(consoleDir, 'assets', 'app-1a2b.js'), 'console.log(1)');
    writeFileSync(join(consoleDir, 'secret.txt'), 'not an asset');
    const page = await fetch(`${writer.url}/console/`);
    expect([page.status, page.headers.get('cache-control'), page.headers.get('content-security-policy')]).toEqual([
      200,
      'no-cache',
      CONSOLE_SECURITY_POLICY,
    ]);
    const asset = await fetch(`${writer.url}/console/assets/app-1a2b.js`);
    expect([asset.status, asset.headers.get('content-type'), asset.headers.get('cache-control')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'public, max-age=31536000, immutable',
    ]);
    for (const path of ['..%2Fsecret.txt', '..%2F..%2Fpackage.json', '.hidden.js', 'app-1a2b.exe']) {
      expect((await fetch(`${writer.url}/console/assets/${path}`)).status).toBe(404);
    }
    expect((await fetch(`${writer.url}/console`)).status).toBe(200);
  });
});
