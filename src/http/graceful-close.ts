import type { Server, ServerResponse } from 'node:http';
import { SlotSet } from './slot-set.js';

/** A response with the slot it holds in `open`, so that one listener serves every response. */
const SLOT = Symbol('open slot');
type Tracked = ServerResponse & { [SLOT]?: number };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Graceful close for an HTTP server: stop accepting connections, close the idle keep-alive ones,
 * and let every request already taken (including one whose body is still arriving) run to its
 * answer. Answers from then on carry `Connection: close`, so a busy connection ends after its
 * current request instead of feeding the server more work. Whatever is still open at the deadline
 * is cut.
 *
 * Why not the one-liners: `server.close()` waits for busy keep-alive connections but lets them go
 * on sending requests; `closeAllConnections()` drops requests mid-body and answers not yet flushed.
 * Call once, right after the server is created; returns the close function.
 */
export function gracefulClose(server: Server): (timeoutMs: number) => Promise<void> {
  const open = new SlotSet<Tracked>();
  let closing = false;

  // One listener for every response, not a closure per request: this runs on every request.
  function answered(this: Tracked): void {
    open.remove(this[SLOT]!, this);
  }
  server.on('request', (_request, response: Tracked) => {
    response[SLOT] = open.add(response);
    if (closing) response.setHeader('Connection', 'close');
    response.on('close', answered);
  });

  return async (timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    closing = true;
    open.forEach((response) => {
      if (!response.headersSent) response.setHeader('Connection', 'close');
    });
    let closed = false;
    server.close(() => (closed = true));
    server.closeIdleConnections();
    while (!closed && Date.now() < deadline) {
      // A response already under way when we started kept its keep-alive: its connection is now idle.
      if (open.size === 0) server.closeIdleConnections();
      await sleep(20);
    }
    server.closeAllConnections();
  };
}
