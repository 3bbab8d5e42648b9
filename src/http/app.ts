import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import type { Issuer } from './issuer.js';
import type { Logger } from '../monitoring/logger.js';
import { classChecks, type Readiness } from '../monitoring/readiness.js';
import type { Printer } from '../paper/printer.js';
import { readJsonBody, type BodyLimits } from './body.js';
import type { EdgeSettings } from './edge-settings.js';
import { errorHandler } from './errors.js';
import { forwardRoutes, type ForwardedIssuer } from './forwarded.js';
import { certificateRoutes } from './certificates.js';
import { docsRoutes } from './docs.js';
import { inventoryRoutes } from './inventory.js';
import { observeRequests, type RequestMetrics } from './observe.js';
import { apiDocument } from './openapi.js';
import { operationsRoutes, type MetricsExporter } from './operations.js';
import { rateLimit } from './rate-limit.js';
import { securityHeaders } from './security-headers.js';
import { parseIdempotencyKey, parseIssueRequest } from './validate.js';

export interface AppOptions {
  /** With `issueForwarded`, the instance also takes the requests other instances forward to it as writer. */
  readonly issuer: Issuer & Partial<ForwardedIssuer>;
  readonly bodyLimits?: Partial<BodyLimits>;
  readonly onInternalError?: (error: unknown, ctx: Context) => void;
  /** What `/readyz` checks and reports; by default only that every class has been read from the log. */
  readonly readiness?: () => Readiness;
  /** Request metrics and the `/metrics` exposition; no `/metrics` route without it. */
  readonly metrics?: RequestMetrics & MetricsExporter;
  /** Request log; every 5xx is logged, and 1 in `logSample` other requests (LOG_SAMPLE). */
  readonly logger?: Logger;
  readonly logSample: number;
  /** Paper certificates: the letterhead, the verification links' base URL, the PDF renderer. */
  readonly paper: Printer;
  /** Proxies trusted, and the per-caller rate limit; without it, no proxy is trusted and nothing is limited. */
  readonly edge?: Pick<EdgeSettings, 'trustProxyHops' | 'rateLimit'>;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBytes: 4096, timeoutMs: 10_000 };

/** The Koa edge: parse and validate, hand the request to the sequencers, map their answer to HTTP. */
export function createApp(options: AppOptions): Koa {
  const limits: BodyLimits = { ...DEFAULT_BODY_LIMITS, ...options.bodyLimits };
  const { issuer, metrics, logger, paper } = options;
  // X-Forwarded-* decide ctx.ip and ctx.protocol only when the operator says proxies set them, and
  // only as many hops back as there are proxies: what lies further left, the client wrote itself.
  const trustProxyHops = options.edge?.trustProxyHops ?? 0;
  const app = new Koa({ proxy: trustProxyHops > 0, maxIpsCount: trustProxyHops });
  const router = new Router();

  router.post(['/', '/certificates'], async (ctx) => {
    const idempotencyKey = parseIdempotencyKey(ctx.headers['idempotency-key']);
    const request = parseIssueRequest(await readJsonBody(ctx, limits), idempotencyKey);
    const { certificate, replayed } = await issuer.issue(request);
    // A replay answers exactly what the first request was answered, and says that it is one.
    ctx.status = 201;
    ctx.set('Location', `/certificates/${certificate.id}`);
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.body = certificate;
  });
  if (issuer.issueForwarded !== undefined) forwardRoutes(router, { issueForwarded: issuer.issueForwarded.bind(issuer) }, limits);
  const document = apiDocument(issuer.snapshots().map(({ class: code, authorized }) => ({ code, authorized })));
  inventoryRoutes(router, issuer, paper.letterhead);
  certificateRoutes(router, issuer, paper);
  operationsRoutes(router, options.readiness ?? (() => ({ checks: classChecks(issuer.snapshots()) })), metrics, document);
  docsRoutes(router);

  app.use(securityHeaders(paper.publicUrl));
  app.use(observeRequests({ metrics, logger, logSample: options.logSample }));
  app.use(errorHandler(options.onInternalError ?? ((error) => console.error('internal error', error))));
  // After authentication, which tells whom a request counts against.
  const limit = options.edge?.rateLimit;
  if (limit !== undefined) app.use(rateLimit(limit));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
