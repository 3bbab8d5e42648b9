import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import type { ScenarioResult } from './model.js';
import { summarise } from './stats.js';

export interface LoadSpec {
  readonly url: string;
  readonly bodies: readonly object[];
  readonly warmupBodies?: readonly object[];
  /** Sends a new Idempotency-Key with every request. */
  readonly keyed?: boolean;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly measureSeconds: number;
}

export type LoadResult = Omit<ScenarioResult, 'id' | 'label' | 'tool'>;

/**
 * autocannon's own histogram keeps whole milliseconds, too coarse where the bars sit near 1 ms, so
 * every response time (any status: the 409s of the exhaustion run count too) is kept as measured.
 */
function fire(spec: LoadSpec, bodies: readonly object[], seconds: number, samples: number[] = []): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: seconds,
        timeout: 10,
        headers: { 'content-type': 'application/json' },
        // Each connection cycles through the bodies, so two bodies alternate the classes request by request.
        requests: bodies.map((body) => ({
          method: 'POST',
          body: JSON.stringify(body),
          ...(spec.keyed
            ? {
                setupRequest: (request: autocannon.Request) => ({
                  ...request,
                  headers: { ...request.headers, 'idempotency-key': randomUUID() },
                }),
              }
            : {}),
        })),
      },
      (error, result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => samples.push(responseTime));
  });
}

/** Warms up (discarded; none for 0 s), then measures for a fixed duration with a fixed number of connections. */
export async function measureLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.warmupSeconds > 0) await fire(spec, spec.warmupBodies ?? spec.bodies, spec.warmupSeconds);
  const samples: number[] = [];
  const result = await fire(spec, spec.bodies, spec.measureSeconds, samples);
  const statuses: Record<string, number> = {};
  for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[status] = count ?? 0;
  const total = Object.values(statuses).reduce((sum, count) => sum + count, 0);
  return {
    // Completed responses over the wall time: autocannon's per-second mean drops the partial last second.
    requestsPerSecond: Math.round(total / result.duration),
    latencyMs: summarise(samples),
    total,
    statuses,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
