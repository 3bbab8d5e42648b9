import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { CertificateError } from '../core/errors.js';
import type { Readiness } from '../monitoring/readiness.js';
import { mayAct } from './authenticate.js';

export interface MetricsExporter {
  readonly contentType: string;
  render(): Promise<string>;
}

/**
 * What an operator and an orchestrator ask of the service: liveness, readiness, metrics, the API
 * document. An orchestrator's probe needs no credentials and learns only ready or not (the status
 * code); the checks, the writer's address and the metrics are for callers `opsGuard` lets in.
 */
export function operationsRoutes(
  router: Router,
  readiness: () => Readiness,
  metrics: MetricsExporter | undefined,
  apiDocument: object,
  opsGuard: Middleware,
): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', (ctx) => {
    const { checks, details } = readiness();
    const failing = Object.keys(checks).filter((name) => !checks[name]);
    const detailed = mayAct(ctx, 'ops:read');
    if (failing.length > 0) {
      if (!detailed) throw new CertificateError('not_ready', 'Not ready');
      throw new CertificateError('not_ready', `Not ready: ${failing.join(', ')}`, { details: { checks, ...details } });
    }
    ctx.body = detailed ? { status: 'ready', checks, ...details } : { status: 'ready' };
  });

  if (metrics !== undefined) {
    router.get('/metrics', opsGuard, async (ctx) => {
      ctx.type = metrics.contentType;
      ctx.body = await metrics.render();
    });
  }

  router.get('/openapi.json', (ctx) => {
    ctx.body = apiDocument;
  });
}
