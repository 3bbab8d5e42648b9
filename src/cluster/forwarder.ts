import { Agent, request as httpRequest, type ClientRequest, type RequestOptions } from 'node:http';
import { Agent as TlsAgent, request as httpsRequest } from 'node:https';
import { Batcher } from '../actors/batcher.js';
import type { IssueRequest, Issued } from '../core/certificate.js';
import { CertificateError } from '../core/errors.js';
import type { EventDone, EventRequest } from '../core/events.js';
import { PROOF_HEADER, type ClusterAuth } from './cluster-auth.js';
import {
  ACT_PATH,
  decodeActResult,
  decodeAnswer,
  decodeResult,
  FORWARD_PATH,
  type ActBody,
  type ActResult,
  MAX_FORWARDED_REQUESTS,
  type ForwardAnswer,
  type ForwardBody,
  type ForwardResult,
} from './forward-protocol.js';

export interface ForwarderOptions {
  /**
   * Calls in flight to the writer at once (default 1): like the group commit, one call out and the
   * next gathering behind it makes larger calls, and a forwarded certificate then costs the writer
   * ~25% less CPU than a direct one (npm run bench:forwarding); with 4 it cost about the same.
   */
  readonly maxInFlight?: number;
  /** A call not answered within this long fails its requests as `writer_unreachable`. */
  readonly timeoutMs: number;
  /** Signs each call, and proves each answer came from a member (src/cluster/cluster-auth.ts). */
  readonly proof: Pick<ClusterAuth, 'signRequest' | 'answerProven'>;
  /** The CA an https writer's certificate must chain to (INTERNAL_TLS_CA_FILE); the system's CAs without it. */
  readonly ca?: string | undefined;
  /** Requests waiting for a call to the writer at most (FORWARD_QUEUE_LIMIT); past it, `503 overloaded`. Unbounded when absent. */
  readonly maxWaiting?: number;
}

/**
 * An answer larger than this is not the writer's: a call's results for 500 requests are ~150 KB,
 * and their proofs ~300 KB more with two classes, ~400 KB with 100 (heads sent once per write).
 */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** Thrown when the instance called is not the writer (nothing was issued): find the writer and send again. */
export function isNotWriter(error: unknown): boolean {
  return error instanceof CertificateError && error.code === 'not_writer';
}

function overloaded(writerUrl: string, limit: number): CertificateError {
  return new CertificateError(
    'overloaded',
    `${limit} requests are already waiting to be forwarded to the writer at ${writerUrl} (FORWARD_QUEUE_LIMIT); nothing was issued, retry later`,
  );
}

/**
 * Sends a follower's POSTs to the writer over a keep-alive pool, coalescing the requests that wait
 * while calls are in flight into one call: the writer parses one HTTP request for many certificates,
 * so a forwarded certificate costs it less than a direct one.
 */
export class Forwarder {
  /** One batcher per writer URL; the writer changes seldom, and an idle one is dropped when another is made. */
  private readonly calls = new Map<string, Batcher<IssueRequest, Issued>>();
  private readonly agent: Agent;
  private readonly tlsAgent: TlsAgent;
  private readonly maxInFlight: number;

  constructor(private readonly options: ForwarderOptions) {
    this.maxInFlight = options.maxInFlight ?? 1;
    // Idle sockets close well before the writer's keep-alive timeout (65 s), so a call never goes out
    // on a socket the writer is closing: that would fail after sending, with an unknown outcome.
    const pool = { keepAlive: true, maxSockets: this.maxInFlight, timeout: 30_000 };
    this.agent = new Agent(pool);
    // The writer's certificate is checked against the CA and its URL's host name (Node's defaults, kept).
    this.tlsAgent = new TlsAgent({ ...pool, ...(options.ca === undefined ? {} : { ca: options.ca }) });
  }

  forward(writerUrl: string, request: IssueRequest): Promise<Issued> {
    let calls = this.calls.get(writerUrl);
    if (calls === undefined) {
      for (const [url, idle] of this.calls) if (idle.idle) this.calls.delete(url);
      calls = new Batcher<IssueRequest, Issued>({
        handle: (requests) => this.post(writerUrl, requests),
        maxWeight: MAX_FORWARDED_REQUESTS,
        maxInFlight: this.maxInFlight,
        ...(this.options.maxWaiting === undefined
          ? {}
          : { bound: { items: this.options.maxWaiting, error: () => overloaded(writerUrl, this.options.maxWaiting!) } }),
      });
      this.calls.set(writerUrl, calls);
    }
    return calls.add(request);
  }

  close(): void {
    this.agent.destroy();
    this.tlsAgent.destroy();
  }

  private request(url: URL, options: RequestOptions): ClientRequest {
    return url.protocol === 'https:'
      ? httpsRequest(url, { ...options, agent: this.tlsAgent })
      : httpRequest(url, { ...options, agent: this.agent });
  }

  private post(url: string, requests: readonly IssueRequest[]): Promise<Array<Issued | CertificateError>> {
    const forwarded: ForwardBody = { requests };
    return this.call(url, FORWARD_PATH, forwarded, (answer: Partial<ForwardAnswer>) =>
      answer.results?.length === requests.length ? decodeAnswer(answer as ForwardAnswer) : undefined,
    );
  }

  /** Sends one event request to the writer (src/cluster/forward-protocol.ts ACT_PATH): its outcome, or the writer's refusal, thrown. */
  async act(writerUrl: string, request: EventRequest): Promise<EventDone> {
    const body: ActBody = { request };
    const outcome = await this.call(writerUrl, ACT_PATH, body, (answer: Partial<{ result: ActResult }>) =>
      answer.result === undefined ? undefined : decodeActResult(answer.result),
    );
    if (outcome instanceof CertificateError) throw outcome;
    return outcome;
  }

  /**
   * One signed call to the writer: `accept` turns a 200 answer into its outcome (undefined when the
   * answer is not one); an error answer for the whole call is thrown as the writer's error.
   */
  private call<A, T>(url: string, path: string, payload: unknown, accept: (answer: A) => T | undefined): Promise<T> {
    const body = JSON.stringify(payload);
    const target = new URL(path, url);
    const { header, nonce } = this.options.proof.signRequest('POST', target.pathname + target.search, body);
    return new Promise((resolve, reject) => {
      let sent = false;
      const call = this.request(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), [PROOF_HEADER]: header },
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
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_ANSWER_BYTES) call.destroy(new Error(`an answer larger than ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.on('error', (error) => reject(unreachable(error)));
        response.on('end', () => {
          const answer = Buffer.concat(chunks);
          // Unsigned, or signed for another call: not the cluster's answer, whatever it says.
          if (
            !this.options.proof.answerProven(nonce, response.statusCode ?? 0, response.headers[PROOF_HEADER] as string | undefined, answer)
          ) {
            reject(unreachable(new Error(`an answer (${response.statusCode}) without the cluster's proof`)));
            return;
          }
          try {
            const parsed = JSON.parse(answer.toString('utf8')) as A & Partial<Extract<ForwardResult, { readonly error: unknown }>>;
            const outcome = response.statusCode === 200 ? accept(parsed) : undefined;
            if (outcome !== undefined) resolve(outcome);
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
