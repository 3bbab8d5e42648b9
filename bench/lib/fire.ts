import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';

// One burst of autocannon load, in a process of its own (bench/load.ts starts it). A burst that
// follows another in the same process stalls: with 1000 connections, tens to hundreds of them got
// no answer within the 10 s timeout, against bare Koa as much as against the service, and the
// connections left working then saw shorter queues. In a fresh process per burst these stalls were
// gone (docs/benchmark.md, "One load generator, one burst").

/** The burst, as JSON in argv[2]. */
export interface FireJob {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly bodies: readonly object[];
  /** Sends a new Idempotency-Key with every request. */
  readonly keyed: boolean;
  /** Sent with every request besides Content-Type: the credentials. */
  readonly headers: Readonly<Record<string, string>>;
  /** Where the outcome goes, as JSON. */
  readonly outcomeFile: string;
}

export interface FireOutcome {
  /** Seconds the burst lasted. */
  readonly duration: number;
  readonly statuses: Record<string, number>;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Every response's time in ms (any status): autocannon's own histogram keeps whole milliseconds. */
  readonly samples: number[];
}

const job = JSON.parse(process.argv[2] ?? '') as FireJob;
const samples: number[] = [];
const instance = autocannon(
  {
    url: job.url,
    connections: job.connections,
    duration: job.seconds,
    timeout: 10,
    headers: { 'content-type': 'application/json', ...job.headers },
    // Each connection cycles through the bodies, so two bodies alternate the classes request by request.
    requests: job.bodies.map((body) => ({
      method: 'POST',
      body: JSON.stringify(body),
      ...(job.keyed
        ? {
            setupRequest: (request: autocannon.Request) => ({
              ...request,
              headers: { ...request.headers, 'idempotency-key': randomUUID() },
            }),
          }
        : {}),
    })),
  },
  (error, result) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
    const statuses: Record<string, number> = {};
    for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[status] = count ?? 0;
    const outcome: FireOutcome = {
      duration: result.duration,
      statuses,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      samples,
    };
    writeFileSync(job.outcomeFile, JSON.stringify(outcome));
    process.exit(0);
  },
);
instance.on('response', (_client, _status, _bytes, responseTime) => samples.push(responseTime));
