import type { Context, Next } from 'koa';
import type { Logger } from '../monitoring/logger.js';
import { requestIdOf } from './request-id.js';

/** Where request measurements go; src/monitoring/metrics.ts implements it over prom-client. */
export interface RequestMetrics {
  requestAnswered(route: string, method: string, status: number, seconds: number): void;
}

export interface ObserveOptions {
  readonly metrics?: RequestMetrics;
  readonly logger?: Logger;
  /** Log 1 in this many requests answered below 500 (0: none); every 5xx is logged. */
  readonly logSample: number;
}

function route(ctx: Context): string {
  // The route pattern, never the raw path: a label per certificate id would grow without bound.
  const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
  return matched === undefined ? 'unmatched' : String(matched);
}

function errorOf(ctx: Context): { code?: unknown; message?: unknown } {
  return (ctx.body as { error?: { code?: unknown; message?: unknown } } | null | undefined)?.error ?? {};
}

/** Outermost middleware: times every request, counts it, and logs a sample of them with every server error. */
export function observeRequests(options: ObserveOptions) {
  const { metrics, logger, logSample } = options;
  let answered = 0;
  return async (ctx: Context, next: Next): Promise<void> => {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    metrics?.requestAnswered(route(ctx), ctx.method, ctx.status, ms / 1000);
    answered += 1;
    if (logger === undefined) return;
    if (ctx.status >= 500) {
      // The message says why (the log's own error for log_unavailable): what an operator needs first.
      const { code, message } = errorOf(ctx);
      logger.error(
        { method: ctx.method, path: ctx.path, status: ctx.status, ms, code, reason: message, requestId: requestIdOf(ctx) },
        'request failed',
      );
    } else if (logSample > 0 && answered % logSample === 0) {
      const { method, path, status } = ctx;
      logger.info({ method, path, status, ms, code: errorOf(ctx).code, requestId: requestIdOf(ctx), sampled: logSample }, 'request');
    }
  };
}
