import { Agent, request as httpRequest } from 'node:http';
import type { IssueRequest, Issued } from '../actors/certificate.js';
import { CertificateError } from '../errors.js';
import { decodeResult, FORWARD_PATH, type ForwardResult } from './forward-protocol.js';

interface Queued {
  readonly request: IssueRequest;
  readonly resolve: (issued: Issued) => void;
  readonly reject: (error: unknown) => void;
}

export interface ForwarderOptions {
  /** Requests per call (default 500, an actor batch). */
  readonly maxBatch?: number;
  /**
   * Calls in flight to the writer at once (default 1): like the group commit, one call out and the
   * next gathering behind it makes larger calls, and a forwarded certificate then costs the writer
   * ~25% less CPU than a direct one (npm run bench:forwarding); with 4 it cost about the same.
   */
  readonly maxInFlight?: number;
  /** A call not answered within this long fails its requests as `writer_unreachable`. */
  readonly timeoutMs: number;
}

/** Thrown when the instance called is not the writer (nothing was issued): find the writer and send again. */
export function isNotWriter(error: unknown): boolean {
  return error instanceof CertificateError && error.code === 'not_writer';
}

/**
 * Sends a follower's POSTs to the writer over a keep-alive pool, coalescing the requests that wait
 * while calls are in flight into one call: the writer parses one HTTP request for many certificates,
 * so a forwarded certificate costs it less than a direct one.
 */
export class Forwarder {
  private readonly queues = new Map<string, Queued[]>();
  private readonly inFlight = new Map<string, number>();
  private readonly agent: Agent;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: ForwarderOptions) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxInFlight = options.maxInFlight ?? 1;
    // Idle sockets close well before the writer's keep-alive timeout (65 s), so a call never goes out
    // on a socket the writer is closing: that would fail after sending, with an unknown outcome.
    this.agent = new Agent({ keepAlive: true, maxSockets: this.maxInFlight, timeout: 30_000 });
  }

  forward(writerUrl: string, request: IssueRequest): Promise<Issued> {
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(writerUrl);
      if (queue === undefined) this.queues.set(writerUrl, (queue = []));
      queue.push({ request, resolve, reject });
      this.flush(writerUrl);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private flush(url: string): void {
    const queue = this.queues.get(url);
    while (queue !== undefined && queue.length > 0 && (this.inFlight.get(url) ?? 0) < this.maxInFlight) {
      const batch = queue.splice(0, this.maxBatch);
      this.inFlight.set(url, (this.inFlight.get(url) ?? 0) + 1);
      void this.call(url, batch).finally(() => {
        this.inFlight.set(url, this.inFlight.get(url)! - 1);
        if (queue.length === 0 && this.inFlight.get(url) === 0) this.queues.delete(url);
        else this.flush(url);
      });
    }
  }

  private async call(url: string, batch: Queued[]): Promise<void> {
    try {
      const results = await this.post(
        url,
        batch.map((queued) => queued.request),
      );
      batch.forEach((queued, index) => {
        const outcome = decodeResult(results[index]!);
        if (outcome instanceof CertificateError) queued.reject(outcome);
        else queued.resolve(outcome);
      });
    } catch (error) {
      for (const queued of batch) queued.reject(error);
    }
  }

  private post(url: string, requests: readonly IssueRequest[]): Promise<ForwardResult[]> {
    const body = JSON.stringify({ requests });
    return new Promise((resolve, reject) => {
      let sent = false;
      const call = httpRequest(new URL(FORWARD_PATH, url), {
        method: 'POST',
        agent: this.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: this.options.timeoutMs,
      });
      const unreachable = (cause: unknown): CertificateError =>
        sent
          ? new CertificateError(
              'writer_unreachable',
              `The writer at ${url} did not answer; the certificate may or may not have been issued`,
              {
                cause,
              },
            )
          : new CertificateError('not_writer', `The writer at ${url} could not be reached; nothing was issued`, { cause });
      call.on('finish', () => (sent = true));
      call.on('timeout', () => call.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      call.on('error', (error) => reject(unreachable(error)));
      call.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(unreachable(error)));
        response.on('end', () => {
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<{ results: ForwardResult[] } & ForwardResult>;
            if (response.statusCode === 200 && parsed.results?.length === requests.length) resolve(parsed.results);
            else if ('error' in parsed && parsed.error !== undefined) reject(decodeResult({ error: parsed.error }));
            else reject(unreachable(new Error(`unexpected answer ${response.statusCode}`)));
          } catch (error) {
            reject(unreachable(error));
          }
        });
      });
      call.end(body);
    });
  }
}
