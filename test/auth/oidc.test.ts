import { generateKeyPair, decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OIDC_TIMING, MAX_TOKEN_LENGTH, startOidcVerifier, type OidcSettings, type OidcTiming } from '../../src/auth/oidc.js';
import { CertificateError } from '../../src/core/errors.js';
import { MAX_PRINCIPAL_ID_LENGTH } from '../../src/core/principal.js';
import { createLogger, type Logger } from '../../src/monitoring/logger.js';
import { startOidcProvider, TEST_AUDIENCE, type TestProvider } from '../support/oidc-provider.js';

const logger = createLogger('silent');

function verifierFor(
  provider: { readonly issuer: string },
  settings: Partial<OidcSettings> = {},
  timing?: Partial<OidcTiming>,
  log: Logger = logger,
) {
  return startOidcVerifier(
    { issuer: provider.issuer, audience: TEST_AUDIENCE, rolesClaim: 'roles', clockSkewSeconds: 30, ...settings },
    log,
    { ...DEFAULT_OIDC_TIMING, ...timing },
  );
}

/** A logger whose lines land in `lines`, as the service's would in its log. */
function capturing(lines: string[]): Logger {
  return pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
}

/** The refusal `promise` settles with: a CertificateError with `code` that does not repeat the token. */
async function refusal(promise: Promise<unknown>, token: string, code = 'unauthenticated'): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(CertificateError);
  expect((error as CertificateError).code).toBe(code);
  const message = (error as CertificateError).message;
  for (const part of token.split('.').filter((segment) => segment.length > 8)) expect(message).not.toContain(part);
  return message;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OpenID Connect bearer tokens, against a real provider process', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startOidcProvider();
  });
  afterAll(async () => {
    await provider.stop();
  });

  it("gives a valid token's principal: id oidc:<iss>#<sub>, the roles it carries that the service knows", async () => {
    const verifier = verifierFor(provider);
    const principal = await verifier.verify(await provider.token('issuer'));
    expect(principal.id).toBe(`oidc:${provider.issuer}#issuer`);
    expect(principal.id.length).toBeLessThanOrEqual(MAX_PRINCIPAL_ID_LENGTH);
    expect(principal.name).toBe('issuer');
    // payroll:approve, also in the token, is not a role of the service's.
    expect([...principal.roles].sort()).toEqual(['certificates:issue', 'certificates:read']);
    expect([...(await verifier.verify(await provider.token('reader'))).roles]).toEqual(['certificates:read']);
    expect(verifier.status()).toEqual({ issuer: provider.issuer, discovered: true });
  });

  it('gives a token without the roles claim a principal with no roles', async () => {
    const principal = await verifierFor(provider).verify(await provider.token('nobody'));
    expect(principal.id).toBe(`oidc:${provider.issuer}#nobody`);
    expect(principal.roles.size).toBe(0);
  });

  it('reads the roles from the claim OIDC_ROLES_CLAIM names, a dotted path included', async () => {
    const token = await provider.token('issuer');
    const nested = await verifierFor(provider, { rolesClaim: 'realm_access.roles' }).verify(token);
    expect([...nested.roles].sort()).toEqual(['certificates:issue', 'certificates:read']);
    expect((await verifierFor(provider, { rolesClaim: 'groups' }).verify(token)).roles.size).toBe(0);
  });

  it('takes a token it verified again without checking it anew, and never a token differing from it', async () => {
    const verifier = verifierFor(provider);
    const token = await provider.token('reader');
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first);
    const altered = `${token.slice(0, -10)}${token.slice(-10, -9) === 'A' ? 'B' : 'A'}${token.slice(-9)}`;
    await refusal(verifier.verify(altered), altered);
  });

  it(`refuses a token longer than ${MAX_TOKEN_LENGTH} characters before reading it`, async () => {
    const token = await provider.token('issuer');
    const padded = `${token}${'A'.repeat(MAX_TOKEN_LENGTH + 1 - token.length)}`;
    expect(await refusal(verifierFor(provider).verify(padded), padded)).toContain(
      `at most ${MAX_TOKEN_LENGTH} characters, got ${MAX_TOKEN_LENGTH + 1}`,
    );
  });

  it('refuses a token for another audience', async () => {
    const token = await provider.token('issuer', { resource: 'https://payroll.test' });
    expect(decodeJwt(token).aud).toBe('https://payroll.test');
    expect(await refusal(verifierFor(provider).verify(token), token)).toContain('"aud"');
  });

  it('refuses a token with one byte of its signature changed', async () => {
    const token = await provider.token('issuer');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const at = Math.floor(signature.length / 2);
    const altered = `${header}.${payload}.${signature.slice(0, at)}${signature[at] === 'A' ? 'B' : 'A'}${signature.slice(at + 1)}`;
    expect(await refusal(verifierFor(provider).verify(altered), altered)).toContain('signature verification failed');
  });

  it('refuses the same claims unsigned (alg: none), and signed with HS256 under the provider key id', async () => {
    const token = await provider.token('issuer');
    const claims = decodeJwt(token);
    const { kid } = decodeProtectedHeader(token);
    const verifier = verifierFor(provider);
    const unsigned = new UnsecuredJWT(claims).encode();
    expect(decodeProtectedHeader(unsigned).alg).toBe('none');
    await refusal(verifier.verify(unsigned), unsigned);
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: kid! })
      .sign(new TextEncoder().encode('a-guessed-or-leaked-secret-32-bytes!'));
    expect(await refusal(verifier.verify(hmac), hmac)).toContain('"alg"');
  });

  it('refuses the same claims signed by a key the provider does not publish, under its key id or another', async () => {
    const token = await provider.token('issuer');
    const claims = decodeJwt(token);
    const { kid } = decodeProtectedHeader(token);
    const { privateKey } = await generateKeyPair('RS256');
    const verifier = verifierFor(provider);
    const underItsKid = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: kid! }).sign(privateKey);
    expect(await refusal(verifier.verify(underItsKid), underItsKid)).toContain('signature verification failed');
    const underOtherKid = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'not-the-providers' }).sign(privateKey);
    expect(await refusal(verifier.verify(underOtherKid), underOtherKid)).toContain('no applicable key');
  });

  it('refuses a token from a second, different provider for the same audience', async () => {
    const other = await startOidcProvider();
    try {
      const token = await other.token('issuer');
      expect(decodeJwt(token).aud).toBe(TEST_AUDIENCE);
      expect(await verifierFor(other).verify(token)).toMatchObject({ id: `oidc:${other.issuer}#issuer` });
      await refusal(verifierFor(provider).verify(token), token);
    } finally {
      await other.stop();
    }
  });

  it('refuses an expired token once past the skew, even one it verified before, and accepts it within the skew', async () => {
    // Three seconds, not one: iat is rounded down, so a one-second token can expire before a loaded
    // machine has discovered the provider and checked it even once.
    const shortLived = await startOidcProvider({ accessTokenTtlSeconds: 3 });
    try {
      const strict = verifierFor(shortLived, { clockSkewSeconds: 0 });
      await strict.verify(await shortLived.token('reader'));
      const token = await shortLived.token('issuer');
      const { iat, exp } = decodeJwt(token);
      expect(exp! - iat!).toBe(3);
      expect((await strict.verify(token)).id).toBe(`oidc:${shortLived.issuer}#issuer`);
      await sleep((exp! + 1) * 1000 - Date.now());
      expect(await refusal(strict.verify(token), token)).toContain('"exp"');
      expect((await verifierFor(shortLived, { clockSkewSeconds: 30 }).verify(token)).id).toBe(`oidc:${shortLived.issuer}#issuer`);
    } finally {
      await shortLived.stop();
    }
  });

  it('refuses a token whose nbf is further ahead than the skew, and accepts it within the skew', async () => {
    const early = await startOidcProvider({ notBeforeOffsetSeconds: 60 });
    try {
      const token = await early.token('reader');
      expect(decodeJwt(token).nbf! - Math.floor(Date.now() / 1000)).toBeGreaterThan(50);
      expect(await refusal(verifierFor(early, { clockSkewSeconds: 30 }).verify(token), token)).toContain('"nbf"');
      expect((await verifierFor(early, { clockSkewSeconds: 90 }).verify(token)).roles).toEqual(new Set(['certificates:read']));
    } finally {
      await early.stop();
    }
  });

  it("fetches the keys again for a token signed with the provider's new key, and then refuses its withdrawn one", async () => {
    const rotating = await startOidcProvider();
    try {
      // Verified tokens not remembered: the old token must meet the keys again to show the old key is gone.
      const verifier = verifierFor(rotating, {}, { jwksCooldownMs: 500, verifiedTokenMs: 0 });
      const before = await rotating.token('issuer');
      await verifier.verify(before);
      await rotating.rotateKey();
      const after = await rotating.token('issuer');
      expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
      await sleep(500);
      expect((await verifier.verify(after)).id).toBe(`oidc:${rotating.issuer}#issuer`);
      await refusal(verifier.verify(before), before);
    } finally {
      await rotating.stop();
    }
  });

  it('answers not_ready, retryable, while the provider cannot be reached, says so in its status, and tries again', async () => {
    const later = await startOidcProvider();
    try {
      const token = await later.token('reader');
      await later.stop();
      const lines: string[] = [];
      const verifier = verifierFor(later, {}, { rediscoverAfterMs: 0 }, capturing(lines));
      const message = await refusal(verifier.verify(token), token, 'not_ready');
      expect(message).toContain(later.issuer);
      expect(message).toContain('ECONNREFUSED');
      expect(verifier.status()).toMatchObject({ issuer: later.issuer, discovered: false, error: expect.stringContaining('ECONNREFUSED') });
      expect(lines.join('')).toContain('OpenID provider discovery failed: every token is refused until it succeeds');
      // Back, with another key: the token from before is refused for its key, a new one verifies.
      await later.rotateKey();
      await refusal(verifier.verify(token), token);
      expect((await verifier.verify(await later.token('reader'))).id).toBe(`oidc:${later.issuer}#reader`);
      expect(verifier.status()).toEqual({ issuer: later.issuer, discovered: true });
    } finally {
      await later.stop();
    }
  });

  it('keeps the keys it has while the provider is away, and stops trusting a withdrawn key at the next refresh', async () => {
    const away = await startOidcProvider();
    try {
      const lines: string[] = [];
      const verifier = verifierFor(away, {}, { keysRefreshMs: 200, verifiedTokenMs: 0 }, capturing(lines));
      const token = await away.token('issuer');
      await verifier.verify(token);
      await away.stop();
      for (let round = 0; round < 3; round++) {
        await sleep(250);
        expect((await verifier.verify(token)).id).toBe(`oidc:${away.issuer}#issuer`);
      }
      await expect
        .poll(() => lines.join(''), { timeout: 10_000 })
        .toContain('keys could not be fetched again: the ones fetched before are kept');
      // Back with a new key, the old one withdrawn: the next background refresh drops it.
      await away.rotateKey();
      await expect
        .poll(
          () =>
            verifier.verify(token).then(
              () => 'accepted',
              (error: CertificateError) => error.code,
            ),
          { timeout: 10_000 },
        )
        .toBe('unauthenticated');
    } finally {
      await away.stop();
    }
  });

  it('refuses to use a discovery document that names another issuer than the configured one', async () => {
    // The same provider, named with a trailing slash: the discovery URL is the same, its `issuer` is not.
    const verifier = verifierFor({ issuer: `${provider.issuer}/` });
    const token = await provider.token('issuer');
    expect(await refusal(verifier.verify(token), token, 'not_ready')).toContain(`to name issuer ${provider.issuer}/`);
  });
});
