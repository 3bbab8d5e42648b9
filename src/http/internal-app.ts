import Router from '@koa/router';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import Koa, { type Context } from 'koa';
import type { InternalSettings } from '../cluster/settings.js';
import { DEFAULT_BODY_LIMITS } from './app.js';
import { provenCalls, signedAnswers, type CallProof } from './cluster-proof.js';
import { errorHandler } from './errors.js';
import { FORWARD_MAX_BYTES, forwardRoutes, type ForwardedIssuer } from './forwarded.js';
import { listen, type Listener } from './listener.js';

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
  forwardRoutes(router, {
    issueForwarded: issuer.issueForwarded.bind(issuer),
    actForwarded: issuer.actForwarded.bind(issuer),
    proofOf: issuer.proofOf.bind(issuer),
  });
  app.use(signedAnswers(proof));
  app.use(errorHandler(options.onInternalError ?? ((error) => console.error('internal error', error))));
  app.use(provenCalls(proof, { ...DEFAULT_BODY_LIMITS, maxBytes: FORWARD_MAX_BYTES }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/** Listens for the internal app on INTERNAL_PORT, over TLS when it has a certificate; rejects if it cannot bind. */
export function listenInternal(app: Koa, host: string, settings: Pick<InternalSettings, 'port' | 'tls'>): Promise<Listener> {
  const { tls } = settings;
  return listen(tls === undefined ? createServer(app.callback()) : createTlsServer(tls, app.callback()), settings.port, host);
}
