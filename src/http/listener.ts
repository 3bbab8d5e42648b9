import { once } from 'node:events';
import type { Server } from 'node:http';
import { gracefulClose } from './graceful-close.js';

export interface Listener {
  readonly server: Server;
  /** Stops taking connections and answers every request already taken (src/http/graceful-close.ts). */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Listens on `port` with what every listener of the service shares: idle keep-alive connections
 * outlive a load balancer's (60 s by default in most) so it never sends on one being closed, a
 * request must be whole within 30 s, and the close is graceful. Rejects when it cannot bind.
 */
export async function listen(server: Server, port: number, host: string): Promise<Listener> {
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 30_000;
  const close = gracefulClose(server);
  server.listen(port, host);
  await once(server, 'listening');
  return { server, close };
}
