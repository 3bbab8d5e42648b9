import Router from '@koa/router';
import Koa from 'koa';
import { FIXED_CERTIFICATE, FIXED_LOCATION, listenPort } from './fixed-response.js';

// The ceiling for our edge: Koa and @koa/router, a parsed JSON body, a response object Koa serialises.
const app = new Koa();
const router = new Router();

function readBody(request: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

router.post('/', async (ctx) => {
  const parsed = JSON.parse(await readBody(ctx.req)) as { name?: unknown };
  ctx.status = 201;
  ctx.set('Location', FIXED_LOCATION);
  ctx.body = { ...FIXED_CERTIFICATE, name: typeof parsed.name === 'string' ? parsed.name : FIXED_CERTIFICATE.name };
});
app.use(router.routes());
app.use(router.allowedMethods());

const server = app.listen(listenPort(), '127.0.0.1');
server.keepAliveTimeout = 65_000;
