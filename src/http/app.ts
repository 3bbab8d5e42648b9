import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import type { Issuer } from '../actors/sequencers.js';
import { readJsonBody, type BodyLimits } from './body.js';
import { errorHandler } from './errors.js';
import { parseIssueRequest } from './validate.js';

export interface AppOptions {
  readonly issuer: Issuer;
  readonly bodyLimits?: Partial<BodyLimits>;
  readonly onInternalError?: (error: unknown, ctx: Context) => void;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBytes: 4096, timeoutMs: 10_000 };

/** The Koa edge: parse and validate, hand the request to the sequencers, map their answer to HTTP. */
export function createApp(options: AppOptions): Koa {
  const limits: BodyLimits = { ...DEFAULT_BODY_LIMITS, ...options.bodyLimits };
  const { issuer } = options;
  const app = new Koa();
  const router = new Router();

  router.post(['/', '/certificates'], async (ctx) => {
    const request = parseIssueRequest(await readJsonBody(ctx, limits));
    const certificate = await issuer.issue(request);
    ctx.status = 201;
    ctx.set('Location', `/certificates/${certificate.id}`);
    ctx.body = certificate;
  });

  app.use(errorHandler(options.onInternalError ?? ((error) => console.error('internal error', error))));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
