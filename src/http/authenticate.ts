import type { Context, Middleware, Next } from 'koa';
import { CertificateError } from '../core/errors.js';
import { hasRole, type Role } from '../core/principal.js';
import type { Authenticator } from '../auth/authenticator.js';
import { sessionPrincipal, type ConsoleSessions } from './console-session.js';
import { principalOf, type RequestState } from './request-state.js';

export const REALM = 'stock-certificates';

/**
 * Proves who sent the request, before any route runs: sets ctx.state.principal when credentials
 * came and hold, answers 401 when they came and do not. A request without credentials goes on
 * without a principal: public routes answer it, every other one is guarded by requireRole.
 * Credentials are the `Authorization` header, else the console's session cookie
 * (src/http/console-session.ts): a request with both is judged by its header alone.
 */
export function authenticate(authenticator: Authenticator, sessions?: ConsoleSessions): Middleware {
  return async (ctx: Context, next: Next): Promise<void> => {
    const authorization = ctx.get('Authorization') || undefined;
    const session =
      authorization === undefined && sessions !== undefined ? await sessionPrincipal(ctx, sessions, authenticator) : undefined;
    const principal = session?.principal ?? (await authenticator.authenticate(authorization));
    if (principal !== undefined) {
      (ctx.state as RequestState).principal = principal;
      // What a caller proved itself to read is for it alone: no shared cache may keep it.
      ctx.set('Cache-Control', 'private, no-store');
    }
    await next();
  };
}

/** A route's guard: 401 without credentials, 403 `insufficient_scope` naming the role when they lack it. */
export function requireRole(role: Role): Middleware {
  return async (ctx: Context, next: Next): Promise<void> => {
    const principal = principalOf(ctx);
    if (!hasRole(principal, role)) {
      throw new CertificateError('insufficient_scope', `Expected credentials with the role ${role}; ${principal.name} does not hold it`, {
        details: { required: role },
      });
    }
    await next();
  };
}

/** Whether the request's principal, if any, holds the role: for routes that answer everyone, and more to some. */
export function mayAct(ctx: Context, role: Role): boolean {
  const principal = (ctx.state as RequestState).principal;
  return principal !== undefined && hasRole(principal, role);
}

/**
 * The `WWW-Authenticate` challenge an error answers with (RFC 6750 §3), or undefined for errors that
 * are not about credentials. Called by the error handler, the one place errors become HTTP.
 */
export function bearerChallenge(error: CertificateError): string | undefined {
  if (error.code === 'unauthenticated') {
    const bearerError = error.details.bearerError;
    return `Bearer realm="${REALM}"${typeof bearerError === 'string' ? `, error="${bearerError}"` : ''}`;
  }
  if (error.code === 'insufficient_scope')
    return `Bearer realm="${REALM}", error="insufficient_scope", scope="${String(error.details.required)}"`;
  return undefined;
}
