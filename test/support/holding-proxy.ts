import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';

interface Pipe {
  readonly client: Socket;
  readonly upstream: Socket;
  /** The connection has carried a Kafka Produce request (API key 0): a producer's. */
  producer: boolean;
  /** Bytes held while the pipe is held (toUpstream stays empty when only answers are held); undefined when it forwards. */
  held?: { toUpstream: Buffer[]; toClient: Buffer[]; clientEnded: boolean; answersOnly: boolean };
}

/**
 * A TCP proxy that can hold the bytes of the connections open at one moment and deliver them later:
 * a network that delays a request past the client's timeout, without netem. Connections opened while
 * holding pass freely, as a client's fresh connection would after it gave up on the old one.
 */
export class HoldingProxy {
  private readonly pipes = new Set<Pipe>();
  private server: Server | undefined;
  /** Bytes held since start, both directions. */
  heldBytes = 0;

  constructor(
    private readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.pipe(client));
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
  }

  /**
   * From now on, the connections open now (or only those that carried a Kafka produce request)
   * forward nothing until release(): in either direction, or (`answers`) only the server's answers,
   * so requests reach the broker and take effect while their clients hear nothing.
   */
  hold(which: 'all' | 'producers' = 'all', direction: 'both' | 'answers' = 'both'): void {
    for (const pipe of this.pipes) {
      if (which === 'all' || pipe.producer)
        pipe.held ??= { toUpstream: [], toClient: [], clientEnded: false, answersOnly: direction === 'answers' };
    }
  }

  /** Delivers everything held, in order, and forwards again. */
  release(): void {
    for (const pipe of this.pipes) {
      const held = pipe.held;
      if (held === undefined) continue;
      pipe.held = undefined;
      for (const chunk of held.toUpstream) pipe.upstream.write(chunk);
      if (!pipe.client.destroyed) for (const chunk of held.toClient) pipe.client.write(chunk);
      // The client hung up while held: let the server answer what it was sent before hanging up too.
      if (held.clientEnded) setTimeout(() => pipe.upstream.end(), 2000).unref();
    }
  }

  /** Breaks the connections open now that carried a Kafka produce request, discarding what they held: a network that fails under a write. */
  cutProducers(): void {
    for (const pipe of this.pipes) {
      if (!pipe.producer) continue;
      pipe.held = undefined;
      pipe.client.destroy();
      pipe.upstream.destroy();
    }
  }

  async close(): Promise<void> {
    for (const pipe of this.pipes) {
      pipe.client.destroy();
      pipe.upstream.destroy();
    }
    if (this.server !== undefined) await new Promise((resolve) => this.server!.close(resolve));
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const pipe: Pipe = { client, upstream, producer: false };
    this.pipes.add(pipe);
    const forward = (from: Socket, to: Socket, direction: 'toUpstream' | 'toClient'): void => {
      from.on('data', (chunk: Buffer) => {
        // A Kafka request starts with its size (4 bytes) and API key (2 bytes); requests start chunks often enough here.
        if (direction === 'toUpstream' && chunk.length >= 6 && chunk.readInt16BE(4) === 0) pipe.producer = true;
        if (pipe.held !== undefined && !(direction === 'toUpstream' && pipe.held.answersOnly)) {
          pipe.held[direction].push(chunk);
          this.heldBytes += chunk.length;
        } else if (!to.destroyed) to.write(chunk);
      });
    };
    forward(client, upstream, 'toUpstream');
    forward(upstream, client, 'toClient');
    client.on('end', () => {
      if (pipe.held !== undefined) pipe.held.clientEnded = true;
      else upstream.end();
    });
    upstream.on('end', () => {
      if (pipe.held === undefined) client.end();
    });
    const drop = (): void => {
      // A held pipe keeps its upstream: the held bytes must still reach the server on release.
      if (pipe.held !== undefined && !upstream.destroyed) return;
      client.destroy();
      upstream.destroy();
      this.pipes.delete(pipe);
    };
    client.on('error', drop);
    client.on('close', drop);
    upstream.on('error', drop);
    upstream.on('close', () => {
      client.destroy();
      this.pipes.delete(pipe);
    });
  }
}
