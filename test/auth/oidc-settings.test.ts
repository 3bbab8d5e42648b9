import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedFetch, MAX_PROVIDER_DOCUMENT_BYTES } from '../../src/auth/oidc-discovery.js';
import { parseOidcSettings } from '../../src/config.js';

const base = { OIDC_ISSUER: 'https://login.example.com/realms/shares', OIDC_AUDIENCE: 'https://certificates.example.com' };

describe('OpenID Connect settings', () => {
  it('are absent without OIDC_ISSUER', () => {
    expect(parseOidcSettings({})).toBeUndefined();
  });

  it('read the issuer exactly as given, the audience, the roles claim (roles) and the skew (30 s)', () => {
    expect(parseOidcSettings(base)).toEqual({
      issuer: 'https://login.example.com/realms/shares',
      audience: 'https://certificates.example.com',
      rolesClaim: 'roles',
      clockSkewSeconds: 30,
    });
    const other = parseOidcSettings({
      ...base,
      OIDC_ISSUER: 'https://tenant.auth0.com/',
      OIDC_ROLES_CLAIM: 'realm_access.roles',
      OIDC_CLOCK_SKEW_SECONDS: '5',
    });
    expect(other).toMatchObject({ issuer: 'https://tenant.auth0.com/', rolesClaim: 'realm_access.roles', clockSkewSeconds: 5 });
  });

  it.each(['http://127.0.0.1:8080', 'http://localhost:8080/realms/dev', 'http://[::1]:8080'])(
    'accept plain http on loopback: %s',
    (issuer) => {
      expect(parseOidcSettings({ ...base, OIDC_ISSUER: issuer })?.issuer).toBe(issuer);
    },
  );

  it.each([
    [{ ...base, OIDC_ISSUER: 'http://login.example.com' }, 'Expected `OIDC_ISSUER` to be an https:// URL without query or fragment'],
    [{ ...base, OIDC_ISSUER: 'http://127.0.0.1.example.com' }, 'Expected `OIDC_ISSUER` to be an https:// URL'],
    [{ ...base, OIDC_ISSUER: 'https://login.example.com/?tenant=1' }, 'Expected `OIDC_ISSUER` to be an https:// URL without query'],
    [{ ...base, OIDC_ISSUER: 'login.example.com' }, 'got "login.example.com"'],
    [{ ...base, OIDC_ISSUER: `https://login.example.com/${'x'.repeat(300)}` }, 'up to 300 characters'],
    [{ OIDC_ISSUER: base.OIDC_ISSUER }, "Expected `OIDC_AUDIENCE` to be this service's identifier at the provider"],
    [{ ...base, OIDC_ROLES_CLAIM: 'realm roles' }, 'Expected `OIDC_ROLES_CLAIM` to be a claim name or dotted path'],
    [{ ...base, OIDC_CLOCK_SKEW_SECONDS: '301' }, 'Expected `OIDC_CLOCK_SKEW_SECONDS` to be an integer from 0 to 300, got "301"'],
    [{ OIDC_AUDIENCE: 'https://certificates.example.com' }, 'Expected `OIDC_AUDIENCE` to be set only with OIDC_ISSUER'],
    [{ OIDC_CLOCK_SKEW_SECONDS: '10' }, 'Expected `OIDC_CLOCK_SKEW_SECONDS` to be set only with OIDC_ISSUER'],
  ])('refuse %j with a clear message', (env, message) => {
    expect(() => parseOidcSettings(env)).toThrow(message);
  });
});

describe("reading the provider's documents", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/redirect') response.writeHead(302, { location: '/small' }).end();
      else if (request.url === '/huge') {
        // Streamed without a length, as a hostile or broken provider would.
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let sent = 0; sent <= MAX_PROVIDER_DOCUMENT_BYTES; sent += chunk.length) response.write(chunk);
        response.end('{}');
      } else response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it(`reads a document up to ${MAX_PROVIDER_DOCUMENT_BYTES} bytes, and refuses a larger one and a redirect`, async () => {
    expect(await (await boundedFetch(`${url}/small`)).json()).toEqual({ keys: [] });
    await expect(boundedFetch(`${url}/huge`)).rejects.toThrow(
      `Expected at most ${MAX_PROVIDER_DOCUMENT_BYTES} bytes from ${url}/huge, got more`,
    );
    await expect(boundedFetch(`${url}/redirect`)).rejects.toThrow('fetch failed');
  });
});
