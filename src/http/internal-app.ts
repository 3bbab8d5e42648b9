import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import { DEFAULT_BODY_LIMITS } from './app.js';
import { provenCalls, signedAnswers, type CallProof } from './cluster-proof.js';
import { errorHandler } from './errors.js';
import { FORWARD_MAX_BYTES, forwardRoutes, type ForwardedIssuer } from './forwarded.js';

export interface InternalAppOptions {
  /** The writer's side of forwarding (src/cluster/node.ts). */
  readonly issuer: ForwardedIssuer;
  /** The cluster secret: who may call, and how answers are signed. */
  readonly proof: CallProof;
  readonly onInternalError?: (error: unknown, ctx: Context) => void;
}

/**
 * The listener only instances talk to (INTERNAL_PORT): forwarded calls, nothing a client uses, and
 * nothing without the cluster's proof. The public app (src/http/app.ts) has no /internal routes.
 */
export function createInternalApp(options: InternalAppOptions): Koa {
  const { issuer, proof } = options;
  const app = new Koa();
  const router = new Router();
  forwardRoutes(router, { issueForwarded: issuer.issueForwarded.bind(issuer) });
  app.use(signedAnswers(proof));
  app.use(errorHandler(options.onInternalError ?? ((error) => console.error('internal error', error))));
  app.use(provenCalls(proof, { ...DEFAULT_BODY_LIMITS, maxBytes: FORWARD_MAX_BYTES }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
