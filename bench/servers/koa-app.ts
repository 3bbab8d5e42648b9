import Router from '@koa/router';
import Koa from 'koa';
import { FIXED_CERTIFICATE, FIXED_LOCATION, listenPort } from './fixed-response.js';

export type FixedAnswer = Omit<typeof FIXED_CERTIFICATE, 'name'> & { readonly name: string };

function readBody(request: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * Koa and @koa/router answering `POST /` with a parsed JSON body and a response object Koa
 * serialises: the service's edge with nothing of the service. With `commit`, the answer waits
 * until `commit` resolves for it.
 */
export function serveKoa(commit?: (answer: FixedAnswer) => Promise<void>): void {
  const app = new Koa();
  const router = new Router();
  router.post('/', async (ctx) => {
    const parsed = JSON.parse(await readBody(ctx.req)) as { name?: unknown };
    const answer: FixedAnswer = { ...FIXED_CERTIFICATE, name: typeof parsed.name === 'string' ? parsed.name : FIXED_CERTIFICATE.name };
    if (commit !== undefined) await commit(answer);
    ctx.status = 201;
    ctx.set('Location', FIXED_LOCATION);
    ctx.body = answer;
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  const server = app.listen(listenPort(), '127.0.0.1');
  server.keepAliveTimeout = 65_000;
}
