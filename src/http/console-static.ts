import type Router from '@koa/router';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Middleware, Next } from 'koa';
import { CertificateError } from '../core/errors.js';

/** Where `npm run build` writes the console (index.html, assets/): dist/console from src/http or dist/http alike. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/**
 * Every /console answer's policy: scripts, styles, fonts and images from this origin only, none
 * inline; data only from this origin (the API and the live feed); no framing; forms post here only.
 */
export const CONSOLE_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The only files served from the build's assets/: a flat name, no dot first, with a type below. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** The console's policy on every answer under /console, errors included. */
export function consoleSecurityPolicy(): Middleware {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path === '/console' || ctx.path.startsWith('/console/')) ctx.set('Content-Security-Policy', CONSOLE_SECURITY_POLICY);
    await next();
  };
}

function notBuilt(dir: string): CertificateError {
  return new CertificateError(
    'not_ready',
    `The console has not been built: expected ${join(dir, 'index.html')}; run \`npm run build\` (the API itself works without it)`,
  );
}

/**
 * GET /console and /console/ (the page, never cached: it names the assets of the build it belongs to) and
 * GET /console/assets/{asset} (named by their content's hash by the build, so cached for a year).
 * Files are read from `dir` when asked; a missing build answers 503 saying how to make it.
 */
export function consoleStaticRoutes(router: Router, dir: string): void {
  // The router takes /console/ for /console too: both are the page, whose links are absolute.
  router.get('/console', async (ctx) => {
    const page = await readFile(join(dir, 'index.html')).catch(() => undefined);
    if (page === undefined) throw notBuilt(dir);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page;
  });
  router.get('/console/assets/:asset', async (ctx) => {
    const name = ctx.params.asset!;
    const type = ASSET_NAME.test(name) ? TYPES[extname(name)] : undefined;
    if (type === undefined) throw new CertificateError('not_found', `No console asset ${JSON.stringify(name.slice(0, 40))}`);
    const body = await readFile(join(dir, 'assets', name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EISDIR') return undefined;
      throw error;
    });
    if (body === undefined) throw new CertificateError('not_found', `No console asset ${JSON.stringify(name)}`);
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.type = type;
    ctx.body = body;
  });
}
