import type Router from '@koa/router';
import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { looksLikeApiKey, parseApiKey } from '../auth/api-keys.js';
import type { Authenticator } from '../auth/authenticator.js';
import { SIGN_IN_FAILURES, SignInError, type ConsoleClientSettings, type OidcSignIn, type SignInFailure } from '../auth/oidc-sign-in.js';
import { SIGN_IN_FLOW_SECONDS, type Session, type SessionSeal } from '../auth/session.js';
import { CertificateError, isCertificateError } from '../core/errors.js';
import type { Logger } from '../monitoring/logger.js';
import { readBodyBytes, parseJson, type BodyLimits } from './body.js';
import { CONSOLE_SECURITY_POLICY } from './console-static.js';
import { listenerOrigin } from './certificates.js';
import type { RequestState } from './request-state.js';

/** The session cookie: `__Host-` makes the browser keep it only as set here (Secure, Path=/, no Domain). */
export const SESSION_COOKIE = '__Host-console';
/**
 * The sign-in flow's cookie: Lax, because the provider sends the browser back to the callback from
 * its own site, and a Strict cookie would not come with it. It holds no credential, only what the
 * callback must find again (state, nonce, PKCE verifier), sealed.
 */
export const FLOW_COOKIE = '__Host-console-flow';

/** Header unsafe requests carrying the session cookie must repeat the session's CSRF token in. */
export const CSRF_HEADER = 'X-CSRF-Token';

/** The routes whose POST opens a session: they check Origin themselves, and ignore a session already there. */
const SIGN_IN = '/console/session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The console's settings (CONSOLE_SESSION_MINUTES, CONSOLE_SESSION_KEY_FILE, CONSOLE_LIVE_MAX, OIDC_CONSOLE_*). */
export interface ConsoleSettings {
  readonly sessionMinutes: number;
  /** CONSOLE_SESSION_KEY_FILE's secret; undefined: the cluster secret's key is derived instead (src/auth/session.ts). */
  readonly sessionSecret: string | undefined;
  readonly liveMax: number;
  /** The console's client at the identity provider; without it, the console signs in with API keys only. */
  readonly client: ConsoleClientSettings | undefined;
}

export interface ConsoleSessions {
  readonly seal: SessionSeal;
  /** The OpenID provider's sign-in, when OIDC_ISSUER and the console's client are configured. */
  readonly signIn?: OidcSignIn | undefined;
  /** PUBLIC_URL: the origin requests must come from, and the callback's base; the request's own origin otherwise. */
  readonly publicUrl?: string | undefined;
  readonly logger?: Logger | undefined;
}

interface SessionState extends RequestState {
  session?: Session;
}

function cookie(name: string, value: string, maxAgeSeconds: number, sameSite: 'Strict' | 'Lax'): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=${sameSite}`;
}

/**
 * The origin requests must come from: PUBLIC_URL's, else the one the request names (its Host). Only
 * compared, never used to build a URL: a page elsewhere cannot make a browser send our Host with its
 * own Origin, and a browser sends our cookies only to our host.
 */
function ownOrigin(ctx: Context, publicUrl: string | undefined): string {
  return publicUrl === undefined ? `${ctx.protocol}://${ctx.host}` : new URL(publicUrl).origin;
}

/** A cross-site request says where it comes from in Origin, which a page cannot forge: it must be ours. */
function checkOrigin(ctx: Context, publicUrl: string | undefined): void {
  const origin = ctx.get('Origin');
  const expected = ownOrigin(ctx, publicUrl);
  if (origin !== expected)
    throw new CertificateError(
      'csrf_failed',
      `Expected the request to come from ${expected} (Origin), got ${origin === '' ? 'none' : 'another origin'}`,
    );
}

function sameToken(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The principal of a request signed in to the console by its session cookie (src/auth/session.ts),
 * or undefined: no cookie, not one of ours, expired, or opened with an API key since revoked. An
 * unsafe request with a session must carry its CSRF token and come from this origin, else
 * `403 csrf_failed`: a page elsewhere can make the browser send the cookie, but can neither read
 * the token nor forge Origin.
 */
export async function sessionPrincipal(
  ctx: Context,
  sessions: ConsoleSessions,
  authenticator: Authenticator,
): Promise<Session | undefined> {
  const sealed = ctx.cookies.get(SESSION_COOKIE);
  if (sealed === undefined || (ctx.method === 'POST' && ctx.path === SIGN_IN)) return undefined;
  const session = await sessions.seal.unseal(sealed);
  if (session === undefined || (session.keyId !== undefined && !authenticator.keyInForce(session.keyId))) return undefined;
  if (!SAFE_METHODS.has(ctx.method)) {
    checkOrigin(ctx, sessions.publicUrl);
    const token = ctx.get(CSRF_HEADER);
    if (token === '' || token.length > 100 || !sameToken(token, session.csrf))
      throw new CertificateError(
        'csrf_failed',
        `Expected the header ${CSRF_HEADER} with this session's token (GET /console/session gives it)`,
      );
  }
  (ctx.state as SessionState).session = session;
  return session;
}

function sessionJson(session: Session): Record<string, unknown> {
  const { principal, csrf, expiresAt } = session;
  return {
    principal: { id: principal.id, name: principal.name },
    roles: [...principal.roles].sort(),
    csrf,
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

const FAILURE_TEXT: Readonly<Record<SignInFailure, string>> = {
  invalid_key: 'That API key was not accepted: it is unknown, revoked, expired or mistyped.',
  provider_unavailable: 'The identity provider could not be reached. Try again in a moment.',
  provider_refused: 'The identity provider did not complete the sign-in.',
  state_mismatch: 'This sign-in did not start here, or was started in another tab. Start again.',
  sign_in_expired: 'The sign-in took too long. Start again.',
  token_invalid: 'The identity provider’s answer could not be verified.',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The sign-in page: no script, its style from /console/login.css; a failure is named by code, from a closed list of texts. */
function loginPage(failure: SignInFailure | undefined, providerName: string | undefined): string {
  const provider =
    providerName === undefined
      ? ''
      : `<p><a class="button" href="/console/oidc/start">Sign in with ${escapeHtml(providerName)}</a></p>\n<p class="or">or</p>\n`;
  const error = failure === undefined ? '' : `<p class="error" role="alert">${escapeHtml(FAILURE_TEXT[failure])}</p>\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Stock certificates console</title>
<link rel="stylesheet" href="/console/login.css">
</head>
<body>
<main>
<h1>Sign in</h1>
${error}${provider}<form method="post" action="/console/session">
<label for="apiKey">API key</label>
<input id="apiKey" name="apiKey" type="password" autocomplete="off" required maxlength="200" pattern="stc_.*">
<button type="submit">Sign in with an API key</button>
</form>
</main>
</body>
</html>
`;
}

export const LOGIN_STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
main{max-width:24rem;margin:10vh auto;padding:2rem;background:#fff;border:1px solid #d0d7de;border-radius:8px}
h1{margin-top:0;font-size:1.5rem}label{display:block;margin:.5rem 0 .25rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #8c959f;border-radius:4px;font:inherit}
button,.button{display:inline-block;margin-top:1rem;padding:.5rem 1rem;border:0;border-radius:4px;background:#0b5cad;color:#fff;font:inherit;text-decoration:none;cursor:pointer}
button:focus,.button:focus,input:focus{outline:3px solid #f0b400;outline-offset:2px}
.error{padding:.5rem;border:1px solid #cf222e;background:#ffebe9;color:#82071e;border-radius:4px}.or{color:#57606a}
`;

/** A page that sends the browser on to the console from this site: a Strict cookie set on the provider's redirect would not come with a redirect. */
const SIGNED_IN_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url=/console/">
<title>Signed in · Stock certificates console</title>
</head>
<body><p>Signed in. <a href="/console/">Continue to the console</a>.</p></body>
</html>
`;

/**
 * The console's sign-in, session and sign-out routes. Every answer is private and never cached; the
 * pages carry the console's Content-Security-Policy.
 */
export function consoleSessionRoutes(router: Router, sessions: ConsoleSessions, authenticator: Authenticator, limits: BodyLimits): void {
  const { seal, signIn, publicUrl, logger } = sessions;
  const noStore = (ctx: Context): void => {
    ctx.set('Cache-Control', 'no-store');
  };
  const setSession = async (ctx: Context, session: Session): Promise<void> => {
    const seconds = Math.max(0, Math.floor((session.expiresAt - Date.now()) / 1000));
    ctx.append('Set-Cookie', cookie(SESSION_COOKIE, await seal.seal(session), seconds, 'Strict'));
  };
  const failed = (ctx: Context, failure: SignInFailure): void => {
    ctx.status = 303;
    ctx.redirect(`/console/login?error=${failure}`);
  };
  // Never from Host: PUBLIC_URL, else the address the connection came in on (as paper's links, src/http/certificates.ts).
  const callbackUrl = (ctx: Context): string => `${publicUrl ?? listenerOrigin(ctx)}/console/oidc/callback`;

  router.get('/console/login', (ctx) => {
    const asked = ctx.query.error;
    const failure = SIGN_IN_FAILURES.find((code) => code === asked);
    noStore(ctx);
    ctx.set('Content-Security-Policy', CONSOLE_SECURITY_POLICY);
    // Under no-referrer a browser posts the form with `Origin: null`, which checkOrigin refuses; same-origin still tells other sites nothing.
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = loginPage(failure, signIn?.providerName);
  });
  router.get('/console/login.css', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.type = 'text/css; charset=utf-8';
    ctx.body = LOGIN_STYLE;
  });

  // Sign-in with an API key: the sign-in page's form (a redirect either way), or JSON (the session, or 401).
  router.post(SIGN_IN, async (ctx) => {
    checkOrigin(ctx, publicUrl);
    const form = ctx.is('application/x-www-form-urlencoded') !== false;
    if (!form && ctx.is('application/json') === false)
      throw new CertificateError('unsupported_media_type', 'Expected Content-Type application/x-www-form-urlencoded or application/json');
    const raw = await readBodyBytes(ctx, limits);
    let key: unknown;
    if (form) key = new URLSearchParams(raw.toString('utf8')).get('apiKey');
    else {
      const body = parseJson(raw);
      key = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).apiKey : undefined;
    }
    noStore(ctx);
    const principal =
      typeof key === 'string' && looksLikeApiKey(key)
        ? await authenticator.authenticate(`Bearer ${key}`).catch((error: unknown) => {
            if (isCertificateError(error) && error.code === 'unauthenticated') return undefined;
            throw error;
          })
        : undefined;
    const keyId = typeof key === 'string' ? parseApiKey(key)?.id : undefined;
    if (principal === undefined || keyId === undefined) {
      if (form) return failed(ctx, 'invalid_key');
      throw new CertificateError('unauthenticated', 'Expected {"apiKey": "stc_…"} with a valid API key');
    }
    const session = seal.open(principal, keyId);
    await setSession(ctx, session);
    if (form) {
      ctx.status = 303;
      ctx.redirect('/console/');
    } else ctx.body = sessionJson(session);
  });

  router.get(SIGN_IN, (ctx) => {
    const session = (ctx.state as SessionState).session;
    noStore(ctx);
    if (session === undefined) throw new CertificateError('unauthenticated', 'Expected a console session: sign in at /console/login');
    ctx.body = sessionJson(session);
  });

  // The session middleware has checked the CSRF token of a live session; an expired or absent one is cleared all the same.
  router.post('/console/logout', (ctx) => {
    noStore(ctx);
    ctx.append('Set-Cookie', cookie(SESSION_COOKIE, '', 0, 'Strict'));
    ctx.status = 204;
  });

  router.get('/console/oidc/start', async (ctx) => {
    noStore(ctx);
    if (signIn === undefined)
      throw new CertificateError('not_found', 'No identity provider is configured for the console: sign in with an API key');
    try {
      const { location, flow } = await signIn.start(callbackUrl(ctx));
      ctx.append('Set-Cookie', cookie(FLOW_COOKIE, await seal.sealFlow(flow), SIGN_IN_FLOW_SECONDS, 'Lax'));
      // A page that navigates itself may ask where to; a link is simply sent there.
      if (ctx.accepts('html', 'json') === 'json') ctx.body = { location };
      else ctx.redirect(location);
    } catch (error) {
      if (!(error instanceof SignInError)) throw error;
      failed(ctx, error.failure);
    }
  });

  router.get('/console/oidc/callback', async (ctx) => {
    noStore(ctx);
    if (signIn === undefined) throw new CertificateError('not_found', 'No identity provider is configured for the console');
    ctx.append('Set-Cookie', cookie(FLOW_COOKIE, '', 0, 'Lax'));
    const sealed = ctx.cookies.get(FLOW_COOKIE);
    const flow = sealed === undefined ? undefined : await seal.unsealFlow(sealed);
    const { state, code, error } = ctx.query;
    try {
      if (flow === undefined) throw new SignInError('sign_in_expired', 'no sign-in flow cookie, or an expired one');
      if (typeof state !== 'string' || !sameToken(state, flow.state))
        throw new SignInError('state_mismatch', 'the state differs from the flow’s');
      if (error !== undefined) throw new SignInError('provider_refused', 'the provider answered with an error');
      if (typeof code !== 'string' || code.length === 0 || code.length > 2048)
        throw new SignInError('provider_refused', 'the provider sent no code');
      const principal = await signIn.finish(code, flow, callbackUrl(ctx));
      await setSession(ctx, seal.open(principal));
      logger?.info({ principal: principal.id }, 'console sign-in');
      ctx.set('Content-Security-Policy', CONSOLE_SECURITY_POLICY);
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = SIGNED_IN_PAGE;
    } catch (thrown) {
      if (!(thrown instanceof SignInError)) throw thrown;
      logger?.warn({ failure: thrown.failure, detail: thrown.detail }, 'console sign-in failed');
      failed(ctx, thrown.failure);
    }
  });
}
