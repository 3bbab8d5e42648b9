import type Router from '@koa/router';
import type { ServerResponse } from 'node:http';
import type { Context, Middleware } from 'koa';
import { CertificateError } from '../core/errors.js';
import type { Change } from '../core/log-state.js';
import { eventJson, standingJson } from './events.js';
import type { Issuer } from './issuer.js';

export interface LiveSettings {
  /** Streams open at once on this instance at most (CONSOLE_LIVE_MAX); past it, `503 overloaded`. */
  readonly maxSubscribers: number;
  /** How often an idle stream gets a comment, so that proxies and the browser know it is alive. */
  readonly heartbeatMs: number;
}

export const DEFAULT_LIVE: LiveSettings = { maxSubscribers: 200, heartbeatMs: 15_000 };

/** What a stream may have waiting unsent: a reader this far behind is dropped (its EventSource reconnects) rather than buffered without end. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * GET /console/live: server-sent events of what this instance's state applies, whether it wrote it
 * (the writer) or read it from the log's tail (a follower), so every instance streams everything.
 * `event: certificate` carries the certificate as GET /certificates/{id} answers it, `event:
 * lifecycle` the event as GET /certificates/{id}/events lists it. The state is subscribed to only
 * while someone listens; each change is formatted once for every stream.
 */
export class LiveFeed {
  private readonly streams = new Set<ServerResponse>();
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly issuer: Issuer,
    private readonly settings: LiveSettings = DEFAULT_LIVE,
  ) {}

  get subscribers(): number {
    return this.streams.size;
  }

  routes(router: Router, guard: Middleware): void {
    router.get('/console/live', guard, (ctx) => this.open(ctx));
  }

  /** Ends every stream (the instance is stopping): browsers reconnect, to another instance if this one is gone. */
  close(): void {
    for (const stream of this.streams) stream.end();
  }

  private open(ctx: Context): void {
    if (this.streams.size >= this.settings.maxSubscribers)
      throw new CertificateError('overloaded', `This instance streams to ${this.settings.maxSubscribers} consoles already; retry later`);
    const stream = ctx.res;
    this.streams.add(stream);
    // The response closes when the browser goes away, or when it is ended here.
    stream.once('close', () => {
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stop();
    });
    ctx.status = 200;
    ctx.set('Content-Type', 'text/event-stream');
    ctx.set('Cache-Control', 'no-store');
    // Proxies that buffer (nginx) would hold the events back.
    ctx.set('X-Accel-Buffering', 'no');
    // Written here, not by Koa: a stream Koa pipes would be reported as an error each time a browser leaves.
    ctx.respond = false;
    stream.writeHead(200);
    stream.write('retry: 3000\n: live\n\n');
    this.start();
  }

  private start(): void {
    this.unsubscribe ??= this.issuer.subscribe((changes) => this.send(changes.map((change) => this.format(change)).join('')));
    this.heartbeat ??= setInterval(() => this.send(': heartbeat\n\n'), this.settings.heartbeatMs).unref();
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private format(change: Change): string {
    const data =
      change.kind === 'certificate'
        ? { ...change.certificate, ...standingJson(this.issuer.standing(change.certificate)) }
        : eventJson(change.event);
    return `event: ${change.kind}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  private send(text: string): void {
    for (const stream of this.streams) {
      if (stream.writableLength > MAX_BUFFERED_BYTES) stream.destroy();
      else stream.write(text);
    }
  }
}
