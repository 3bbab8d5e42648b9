import type { Context, Middleware, Next } from 'koa';

/** A year, as the HSTS preload list asks; subdomains are left to whoever runs them. */
const HSTS = 'max-age=31536000';

/**
 * The headers every answer carries, errors included: no content sniffing (a JSON body is never run
 * as a script or page), no Referer sent from our pages (verification URLs carry the digest), and,
 * when the service's public address is https (PUBLIC_URL), HSTS so that browsers never come back
 * over plain http. Pages add their own Content-Security-Policy (src/paper/html.ts, src/http/docs.ts).
 */
export function securityHeaders(publicUrl: string | undefined): Middleware {
  const https = publicUrl?.startsWith('https://') === true;
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    if (https) ctx.set('Strict-Transport-Security', HSTS);
    await next();
  };
}
