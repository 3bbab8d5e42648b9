import type { Context, Next } from 'koa';
import { CertificateError, isCertificateError } from '../core/errors.js';
import { bearerChallenge } from './authenticate.js';
import { RETRY_AFTER_SECONDS, STATUS_OF } from './status.js';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string } & Readonly<Record<string, unknown>>;
}

export function errorBody(error: CertificateError): ErrorBody {
  return { error: { code: error.code, message: error.message, ...error.details } };
}

/** Koa's own errors (e.g. a malformed URL) keep their 4xx status under a code of ours. */
function fromUnknown(error: unknown): CertificateError {
  if (isCertificateError(error)) return error;
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new CertificateError('invalid_body', (error as Error).message || 'Bad request');
  }
  return new CertificateError('internal', 'Internal error', { cause: error });
}

/**
 * Outermost middleware: every failure becomes `{ "error": { code, message, ...details } }` with the
 * status from STATUS_OF, and routes that matched nothing become 404/405 in the same shape.
 */
export function errorHandler(onInternal: (error: unknown, ctx: Context) => void) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) throw new CertificateError('not_found', `No resource at ${ctx.method} ${ctx.path}`);
        if (ctx.status === 405 || ctx.status === 501) {
          throw new CertificateError(
            'method_not_allowed',
            `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get('Allow') || 'none'}`,
          );
        }
      }
    } catch (thrown) {
      const error = fromUnknown(thrown);
      if (error.code === 'internal') onInternal(thrown, ctx);
      ctx.status = STATUS_OF[error.code];
      // A limit that knows when it frees up (the rate limit) has said so already.
      if (error.canRetry && !ctx.res.hasHeader('Retry-After')) ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
      const challenge = bearerChallenge(error);
      // A listener with a scheme of its own (the cluster proof, src/http/cluster-proof.ts) has named it.
      if (challenge !== undefined && !ctx.res.hasHeader('WWW-Authenticate')) ctx.set('WWW-Authenticate', challenge);
      ctx.body = errorBody(error);
    }
  };
}
