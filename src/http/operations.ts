import type Router from '@koa/router';
import { CertificateError } from '../core/errors.js';
import type { Readiness } from '../monitoring/readiness.js';

export interface MetricsExporter {
  readonly contentType: string;
  render(): Promise<string>;
}

/** What an operator and an orchestrator ask of the service: liveness, readiness, metrics, the API document. */
export function operationsRoutes(
  router: Router,
  readiness: () => Readiness,
  metrics: MetricsExporter | undefined,
  apiDocument: object,
): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', (ctx) => {
    const { checks, details } = readiness();
    const failing = Object.keys(checks).filter((name) => !checks[name]);
    if (failing.length > 0) {
      throw new CertificateError('not_ready', `Not ready: ${failing.join(', ')}`, { details: { checks, ...details } });
    }
    ctx.body = { status: 'ready', checks, ...details };
  });

  if (metrics !== undefined) {
    router.get('/metrics', async (ctx) => {
      ctx.type = metrics.contentType;
      ctx.body = await metrics.render();
    });
  }

  router.get('/openapi.json', (ctx) => {
    ctx.body = apiDocument;
  });
}
