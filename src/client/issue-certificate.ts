import { randomUUID } from 'node:crypto';
import type { Certificate } from '../core/certificate.js';
import type { Proof } from '../core/seal.js';

/** What to issue: the body of `POST /certificates`. */
export interface CertificateRequest {
  readonly name: string;
  readonly amount: number;
  readonly class: string;
}

/** An API key (`stc_…`, from `npm run keys -- create`), or what gives a current bearer token (an identity provider's). */
export type Credentials = string | (() => Promise<string>);

export interface IssueOptions {
  /** The service, or several of its instances: each attempt goes to the next one in the list. */
  readonly baseUrl: string | readonly string[];
  /**
   * Sent as `Authorization: Bearer …` with every attempt. A provider is asked before each attempt,
   * so a token it refreshes is used as soon as it has; a provider that rejects ends the call with its error.
   */
  readonly credentials: Credentials;
  /**
   * The request's `Idempotency-Key`; a new UUID by default. Keep it with the request and pass it
   * again to retry a request whose outcome was lost, even from another process or days later
   * (within the service's window, docs/api.md).
   */
  readonly idempotencyKey?: string;
  /** Attempts in all, the first included (default 10). */
  readonly maxAttempts?: number;
  /** The first retry waits up to this long; each next one up to twice as long (default 100 ms). */
  readonly baseDelayMs?: number;
  /** No retry waits longer than this, `Retry-After` included (default 5000 ms). */
  readonly maxDelayMs?: number;
  /** An attempt not answered within this long is abandoned and retried (default 20,000 ms). */
  readonly attemptTimeoutMs?: number;
  /**
   * Stops the attempt in flight or the wait between attempts: the call then throws an IssueError
   * `aborted` with `canRetry` and the key, since the outcome is unknown and the key still finds it.
   */
  readonly signal?: AbortSignal;
  /** Told before each retry why it retries and how long it waits. */
  readonly onRetry?: (retry: { readonly attempt: number; readonly reason: string; readonly delayMs: number }) => void;
}

export interface IssueResult {
  readonly certificate: Certificate;
  /** The certificate's receipt when its write was signed: check it with `checkProof` (docs/api.md#receipts). */
  readonly receipt?: Proof;
  /** True when an earlier attempt (or request) with the key had the certificate issued. */
  readonly replayed: boolean;
  readonly idempotencyKey: string;
  readonly attempts: number;
}

/**
 * The request failed for good, or could not get an answer in the attempts allowed. `code` is the
 * service's error code (docs/api.md), `unreachable` when the last attempt got no HTTP answer, or
 * `aborted` when the caller's `signal` stopped it (its reason is the `cause`). When `canRetry` is
 * true the outcome is unknown: retry later with the same `idempotencyKey`.
 */
export class IssueError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | undefined,
    readonly canRetry: boolean,
    readonly idempotencyKey: string,
    readonly attempts: number,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IssueError';
  }
}

/** Answers worth retrying under the same key: the service or a proxy in front of it could not tell, or not yet. */
const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 502, 503, 504]);

interface Attempt {
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly body?: Record<string, unknown>;
  readonly replayed?: boolean;
  /** Why no HTTP answer came. */
  readonly failure?: unknown;
}

/** Rejects with the signal's reason when it aborts, also when it already has. */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted(): void {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });

async function attempt(
  url: string,
  request: CertificateRequest,
  key: string,
  bearer: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Attempt> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/certificates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ name: request.name, amount: request.amount, class: request.class }),
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
    const text = await response.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    return {
      status: response.status,
      ...(body === undefined ? {} : { body }),
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      replayed: response.headers.get('idempotent-replayed') === 'true',
    };
  } catch (failure) {
    if (signal?.aborted) throw failure;
    return { failure };
  }
}

/**
 * Issues one certificate, exactly once however often it has to ask: every attempt carries the same
 * `Idempotency-Key`, so a retry after a lost answer gets the certificate the lost attempt issued.
 * Retries 408, 502, 503, 504 and requests that got no answer, waiting between attempts with
 * exponential backoff and full jitter (never less than the service's `Retry-After`); any other
 * error is final and thrown at once as an IssueError.
 */
export async function issueCertificate(request: CertificateRequest, options: IssueOptions): Promise<IssueResult> {
  const urls = typeof options.baseUrl === 'string' ? [options.baseUrl] : options.baseUrl;
  if (urls.length === 0) throw new TypeError('Expected baseUrl to name at least one instance, got none');
  const key = options.idempotencyKey ?? randomUUID();
  const maxAttempts = options.maxAttempts ?? 10;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5000;
  const { signal } = options;
  // A bare AbortError would lose the key, and a caller who let the client make it could no longer retry.
  const aborted = (attempts: number): IssueError =>
    new IssueError(
      'aborted',
      `Aborted after ${attempts} attempt${attempts === 1 ? '' : 's'}; the outcome is unknown, retry later with Idempotency-Key ${key}`,
      undefined,
      true,
      key,
      attempts,
      {},
      { cause: signal?.reason },
    );
  for (let attempts = 1; ; attempts++) {
    if (signal?.aborted) throw aborted(attempts - 1);
    const url = urls[(attempts - 1) % urls.length]!;
    let answer: Attempt;
    try {
      const bearer = typeof options.credentials === 'string' ? options.credentials : await options.credentials();
      answer = await attempt(url, request, key, bearer, options.attemptTimeoutMs ?? 20_000, signal);
    } catch (failure) {
      if (signal?.aborted) throw aborted(attempts);
      throw failure;
    }
    if (answer.status === 201 && answer.body !== undefined) {
      const { receipt, ...certificate } = answer.body as unknown as Certificate & { receipt?: Proof };
      const result = { certificate, replayed: answer.replayed === true, idempotencyKey: key, attempts };
      return receipt === undefined ? result : { ...result, receipt };
    }
    const error = (answer.body?.error ?? {}) as { code?: string; message?: string } & Record<string, unknown>;
    const retryable = answer.status === undefined || RETRY_STATUSES.has(answer.status);
    const reason =
      answer.status === undefined
        ? `no answer from ${url}: ${(answer.failure as Error | undefined)?.message ?? String(answer.failure)}`
        : `${answer.status} ${error.code ?? ''} from ${url}`.replace('  ', ' ');
    if (!retryable || attempts >= maxAttempts) {
      const { code = answer.status === undefined ? 'unreachable' : 'unexpected_response', message, ...details } = error;
      throw new IssueError(
        code,
        `${message ?? reason}${retryable ? `; gave up after ${attempts} attempts, retry later with Idempotency-Key ${key}` : ''}`,
        answer.status,
        retryable,
        key,
        attempts,
        details,
        { cause: answer.failure },
      );
    }
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1));
    const delayMs = Math.round(Math.min(maxDelayMs, Math.max(Math.random() * ceiling, answer.retryAfterMs ?? 0)));
    options.onRetry?.({ attempt: attempts, reason, delayMs });
    try {
      await sleep(delayMs, signal);
    } catch (failure) {
      if (signal?.aborted) throw aborted(attempts);
      throw failure;
    }
  }
}
