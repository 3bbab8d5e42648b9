import { randomBytes } from 'node:crypto';
import type { Context, Next } from 'koa';

// 72 random bits per process start: ids of two instances, or of two lives of one, never meet.
const PROCESS_TAG = randomBytes(9).toString('hex');
/** Requests this process has answered an id to so far. */
let counter = 0;

interface RequestIdState {
  requestId?: string;
}

/** The next request id: cheap (no random bytes per request), unique across instances and restarts. */
export function nextRequestId(): string {
  counter += 1;
  return `${PROCESS_TAG}-${counter.toString(36)}`;
}

/**
 * Outermost middleware: every answer carries a `Request-Id` of this service's making, the one the
 * record of a certificate it issued names. A client's own `X-Request-Id` is neither trusted nor
 * echoed: the id must be unique to be found in the log and in the request log.
 */
export function requestIds() {
  return async (ctx: Context, next: Next): Promise<void> => {
    const id = nextRequestId();
    (ctx.state as RequestIdState).requestId = id;
    ctx.set('Request-Id', id);
    await next();
  };
}

/** The request id of a request that passed requestIds(); a route reached without one is a wiring bug. */
export function requestIdOf(ctx: Context): string {
  const id = (ctx.state as RequestIdState).requestId;
  if (id === undefined) throw new Error('Expected the requestIds() middleware before the routes');
  return id;
}
