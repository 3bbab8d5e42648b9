import type { Context } from 'koa';
import { CertificateError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';

/** What the edge's middleware learns about a request before its route runs. */
export interface RequestState {
  /** Set by the authentication middleware once the credentials are proven. */
  principal?: Principal;
}

/** The principal a route acts for; a route reached without one fails closed. */
export function principalOf(ctx: Context): Principal {
  const principal = (ctx.state as RequestState).principal;
  if (principal === undefined)
    throw new CertificateError('unauthenticated', 'Expected credentials: send Authorization: Bearer <API key or token>');
  return principal;
}
