import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestTally } from '../../src/monitoring/request-tally.js';

const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Answer = [route: string, method: string, status: number, seconds: number];

// On a bound, just past it, far above every bound, and a route that needs escaping.
const ANSWERS: Answer[] = [
  ['/certificates', 'POST', 201, 0.001],
  ['/certificates', 'POST', 201, 0.0010001],
  ['/certificates', 'POST', 201, 0.004],
  ['/certificates', 'POST', 409, 0.0025],
  ['/certificates', 'POST', 201, 42],
  ['/certificates/:id', 'GET', 200, 0.3],
  ['/certificates/:id', 'GET', 404, 0.0001],
  ['un"usual\\route\n', 'GET', 404, 0.02],
];

/** The same answers through prom-client's own counter and histogram: the format's reference. */
async function promClientText(answers: readonly Answer[]): Promise<string> {
  const registry = new Registry();
  const counter = new Counter({ name: 'http_requests_total', help: 'h', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'h',
    labelNames: ['route', 'method'],
    buckets: BOUNDS,
    registers: [registry],
  });
  for (const [route, method, status, seconds] of answers) {
    counter.inc({ route, method, status });
    histogram.observe({ route, method }, seconds);
  }
  return registry.metrics();
}

const samples = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .sort();

describe('RequestTally', () => {
  it('writes the same samples prom-client writes for the same answers: counts per status, cumulative buckets, sum and count per route', async () => {
    const tally = new RequestTally(BOUNDS);
    for (const [route, method, status, seconds] of ANSWERS) tally.answered(route, method, status, seconds);
    const text = tally.exposition();
    expect(samples(text)).toEqual(samples(await promClientText(ANSWERS)));
    // Spot checks, so that a shared mistake cannot pass unseen.
    expect(text).toContain('http_requests_total{route="/certificates",method="POST",status="201"} 4\n');
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.001",route="/certificates",method="POST"} 1\n');
    expect(text).toContain('http_request_duration_seconds_bucket{le="10",route="/certificates",method="POST"} 4\n');
    expect(text).toContain('http_request_duration_seconds_bucket{le="+Inf",route="/certificates",method="POST"} 5\n');
    expect(text).toContain('http_request_duration_seconds_count{route="un\\"usual\\\\route\\n",method="GET"} 1\n');
  });

  it('names each metric once with its type, and has no samples before the first answer', () => {
    const text = new RequestTally(BOUNDS).exposition();
    expect(text).toBe(
      [
        '# HELP http_requests_total HTTP requests answered, by matched route, method and status',
        '# TYPE http_requests_total counter',
        '# HELP http_request_duration_seconds Time from receiving a request to its answer, by matched route and method',
        '# TYPE http_request_duration_seconds histogram',
        '',
      ].join('\n'),
    );
  });
});
