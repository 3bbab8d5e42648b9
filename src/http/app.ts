import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import { issueRequest } from '../core/certificate.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Issuer } from './issuer.js';
import type { Logger } from '../monitoring/logger.js';
import { classChecks, type Readiness } from '../monitoring/readiness.js';
import type { Printer } from '../paper/printer.js';
import { readJsonBody, type BodyLimits } from './body.js';
import { authenticate, requireRole } from './authenticate.js';
import type { EdgeSettings } from './edge-settings.js';
import { errorHandler } from './errors.js';
import { SessionSeal, sessionKey } from '../auth/session.js';
import { certificateListRoutes } from './certificate-list.js';
import { certificateRoutes } from './certificates.js';
import { consoleSessionRoutes, type ConsoleSessions } from './console-session.js';
import { CONSOLE_DIR, consoleSecurityPolicy, consoleStaticRoutes } from './console-static.js';
import { LiveFeed } from './live.js';
import { docsRoutes } from './docs.js';
import { eventRoutes } from './events.js';
import { inventoryRoutes } from './inventory.js';
import { jwksRoutes, type PublishedKeys } from './jwks.js';
import { ledgerRoutes } from './ledger.js';
import { observeRequests, type RequestMetrics } from './observe.js';
import { ocfRoutes, type OcfDownload } from './ocf.js';
import { apiDocument } from './openapi.js';
import { operationsRoutes, type MetricsExporter } from './operations.js';
import { requestIdOf, requestIds } from './request-id.js';
import { principalOf } from './request-state.js';
import { rateLimit } from './rate-limit.js';
import { issuedBody, proofFor } from './receipt.js';
import { securityHeaders } from './security-headers.js';
import { verifyPageRoutes } from './verify-page.js';
import { parseIdempotencyKey, parseIssueRequest } from './validate.js';

export interface AppOptions {
  /** Forwarded calls are not taken here: only on the internal listener (src/http/internal-app.ts). */
  readonly issuer: Issuer;
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
  /** Who sent each request; required, so that no app is built open by omission. */
  readonly authenticator: Authenticator;
  /** OIDC_ISSUER, for the API document's security schemes: its tokens are taken beside API keys. */
  readonly identityProvider?: string | undefined;
  /** Proxies trusted, and the per-caller rate limit; without it, no proxy is trusted and nothing is limited. */
  readonly edge?: Pick<EdgeSettings, 'trustProxyHops' | 'rateLimit'>;
  /** The trusted signing keys as published at /.well-known/jwks.json and in GET /verify, as they are now; none when signing is disabled. */
  readonly signingKeys?: () => PublishedKeys;
  /** The ledger as an OCF package (GET /ocf/export, src/http/ocf.ts); no such route without it. */
  readonly ocfExport?: () => Promise<OcfDownload>;
  /**
   * The console's sessions (src/http/console-session.ts); without them, sessions sealed under a key
   * of this app's own that nobody else has, lasting DEFAULT_SESSION_MINUTES, and no identity provider sign-in.
   */
  readonly sessions?: ConsoleSessions;
  /** Where the built console is (CONSOLE_DIR unless told). */
  readonly consoleDir?: string;
  /** The live feed (src/http/live.ts); one with the default limits unless given. */
  readonly live?: LiveFeed;
}

/** A console session's lifetime unless CONSOLE_SESSION_MINUTES says otherwise. */
export const DEFAULT_SESSION_MINUTES = 60;

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

  // Who may do what: issuing, each event (src/http/events.ts) and reading need their roles, the signed head `audit:read`,
  // operations' details `ops:read` (src/http/operations.ts); /healthz, /readyz's bare answer, the
  // verification pages, the API document and the signing keys' public halves are public.
  const read = requireRole('certificates:read');
  router.post(['/', '/certificates'], requireRole('certificates:issue'), async (ctx) => {
    const principal = principalOf(ctx).id;
    const idempotencyKey = parseIdempotencyKey(ctx.headers['idempotency-key']);
    const request = issueRequest(parseIssueRequest(await readJsonBody(ctx, limits), idempotencyKey), principal, requestIdOf(ctx));
    const issued = await issuer.issue(request);
    const { certificate, replayed } = issued;
    // A replay answers exactly what the first request was answered (its receipt too), and says that it is one.
    const proof = await proofFor(issuer, issued);
    ctx.status = 201;
    ctx.set('Location', `/certificates/${certificate.id}`);
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.type = 'json';
    ctx.body = issuedBody(certificate, proof);
  });
  const document = apiDocument(
    issuer.snapshots().map(({ class: code, authorized }) => ({ code, authorized })),
    { oidcIssuer: options.identityProvider, publicUrl: paper.publicUrl },
  );
  const sessions = options.sessions ?? { seal: new SessionSeal(sessionKey(undefined), DEFAULT_SESSION_MINUTES) };
  consoleSessionRoutes(router, sessions, options.authenticator, limits);
  consoleStaticRoutes(router, options.consoleDir ?? CONSOLE_DIR);
  (options.live ?? new LiveFeed(issuer)).routes(router, read);
  certificateListRoutes(router, issuer, read);
  eventRoutes(router, issuer, limits, requireRole);
  inventoryRoutes(router, issuer, paper.letterhead, read);
  certificateRoutes(router, issuer, paper, read);
  ledgerRoutes(router, issuer, requireRole('audit:read'));
  if (options.ocfExport !== undefined) ocfRoutes(router, options.ocfExport, requireRole('audit:read'));
  operationsRoutes(
    router,
    options.readiness ?? (() => ({ checks: classChecks(issuer.snapshots()) })),
    metrics,
    document,
    requireRole('ops:read'),
  );
  docsRoutes(router);
  jwksRoutes(router, options.signingKeys);
  verifyPageRoutes(router, options.signingKeys);

  app.use(requestIds());
  app.use(securityHeaders(paper.publicUrl));
  app.use(consoleSecurityPolicy());
  app.use(observeRequests({ metrics, logger, logSample: options.logSample }));
  app.use(errorHandler(options.onInternalError ?? ((error) => console.error('internal error', error))));
  const limit = options.edge?.rateLimit === undefined ? undefined : rateLimit(options.edge.rateLimit);
  if (limit !== undefined) app.use(limit.refusals);
  app.use(authenticate(options.authenticator, sessions));
  // After authentication, which tells whom a request counts against.
  if (limit !== undefined) app.use(limit.requests);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
