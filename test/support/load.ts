import type { Acknowledged } from '../../src/audit/check.js';
import { authorizedFetch } from './credentials.js';
import { issue } from './http.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds; throws with `what` after `timeoutMs` (a function, to say what was seen last). */
export async function until(what: string | (() => string), condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(50);
  }
}

/** Fault tests run a CI-sized dose by default; SOAK=1 runs a longer one (each count can be set on its own). */
export function faultDose(variable: string, ci: number, soak: number): number {
  const raw = process.env[variable];
  if (raw !== undefined && raw !== '') return Number(raw);
  return process.env.SOAK === '1' ? soak : ci;
}

/** One request as a client saw it: an HTTP status and error code, or a transport failure. */
export interface Outcome {
  readonly startedAt: number;
  readonly ms: number;
  readonly status?: number;
  readonly code?: string;
  /** Set when no HTTP answer came: connection refused or reset, or the client gave up waiting. */
  readonly failure?: string;
}

export interface LoadOptions {
  readonly concurrency: number;
  readonly classes: readonly string[];
  /** Shares per request; default 1 to 100. */
  readonly amount?: (index: number) => number;
  /** A client that gets no answer within this long records a failure instead of hanging the test. */
  readonly requestTimeoutMs?: number;
  /** Each client waits this long between an answer and its next request (default 0), to bound the load. */
  readonly thinkMs?: number;
  /**
   * After each 201, the client reads the certificate back at once from these instances (given the
   * one that answered), as a holder would: from the one that answered, and from another.
   */
  readonly readBack?: (answeredBy: string) => readonly string[];
}

/** Reads of just-acknowledged certificates: none may be denied, whatever the instances are going through. */
export interface ReadBacks {
  checked: number;
  /** Answered 503 with Retry-After: the instance could not be sure yet, and said so. */
  unsure: number;
  /** No HTTP answer (the instance was killed or paused). */
  unreachable: number;
  /** A 404, any other status, or another certificate than the one acknowledged. */
  readonly denied: string[];
}

/**
 * Clients in a loop, each POSTing a certificate request as soon as its previous one is answered,
 * until `stop()`. Every 201 is kept as the client saw it (id, name, amount) for the audit; names are
 * unique and non-ASCII so a mixed-up or mangled record cannot pass for the acknowledged one.
 */
export class Load {
  readonly acknowledged: Acknowledged[] = [];
  readonly outcomes: Outcome[] = [];
  readonly readBacks: ReadBacks = { checked: 0, unsure: 0, unreachable: 0, denied: [] };
  private running = false;
  private workers: Promise<void>[] = [];
  private sent = 0;
  /** Requests sent and not yet answered or failed. */
  inFlight = 0;

  constructor(
    private readonly url: () => string,
    private readonly options: LoadOptions,
  ) {}

  start(): this {
    this.running = true;
    this.workers = Array.from({ length: this.options.concurrency }, () => this.client());
    return this;
  }

  /** Stops sending and waits for the requests still in flight. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** Outcomes counted by status code (or by failure), for assertions and reports. */
  tally(since = 0): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const outcome of this.outcomes) {
      if (outcome.startedAt < since) continue;
      const label = outcome.failure !== undefined ? 'failed' : `${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}`;
      counts[label] = (counts[label] ?? 0) + 1;
    }
    return counts;
  }

  private async readBack(acknowledged: Acknowledged, answeredBy: string, from: readonly string[]): Promise<void> {
    await Promise.all(
      from.map(async (url) => {
        const where = `${url}/certificates/${acknowledged.id} (acknowledged by ${answeredBy})`;
        let status: number;
        let retryAfter: string | null;
        let body: { name?: string; amount?: number };
        try {
          const response = await authorizedFetch(`${url}/certificates/${acknowledged.id}`, { signal: AbortSignal.timeout(15_000) });
          [status, retryAfter] = [response.status, response.headers.get('retry-after')];
          body = (await response.json()) as typeof body;
        } catch {
          this.readBacks.unreachable += 1;
          return;
        }
        this.readBacks.checked += 1;
        if (status === 503 && retryAfter !== null) this.readBacks.unsure += 1;
        else if (status !== 200) this.readBacks.denied.push(`${where}: ${status} ${JSON.stringify(body)}`);
        else if (body.name !== acknowledged.name || body.amount !== acknowledged.amount) {
          this.readBacks.denied.push(`${where}: another certificate, ${JSON.stringify(body)}`);
        }
      }),
    );
  }

  private async client(): Promise<void> {
    const { classes, amount = () => 1 + Math.floor(Math.random() * 100), requestTimeoutMs = 20_000, thinkMs = 0 } = this.options;
    while (this.running) {
      const index = this.sent++;
      const shareClass = classes[index % classes.length]!;
      const shares = amount(index);
      const name = `Holder ${index} Zoë 株主`;
      const startedAt = Date.now();
      const url = this.url();
      this.inFlight += 1;
      try {
        const reply = await issue(url, shareClass, shares, name, AbortSignal.timeout(requestTimeoutMs));
        const error = reply.body.error as { code?: string } | undefined;
        this.outcomes.push({ startedAt, ms: Date.now() - startedAt, status: reply.status, ...(error?.code ? { code: error.code } : {}) });
        if (reply.status === 201) {
          const { id, name: acknowledgedName, amount: acknowledgedAmount } = reply.body as { id: string; name: string; amount: number };
          const acknowledged = { id, name: acknowledgedName, amount: acknowledgedAmount };
          this.acknowledged.push(acknowledged);
          if (this.options.readBack !== undefined) await this.readBack(acknowledged, url, this.options.readBack(url));
        }
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        this.outcomes.push({ startedAt, ms: Date.now() - startedAt, failure: cause?.code ?? (error as Error).name });
        // The service is down or restarting: back off a little instead of spinning.
        await sleep(50);
      } finally {
        this.inFlight -= 1;
      }
      if (thinkMs > 0) await sleep(thinkMs);
    }
  }
}
