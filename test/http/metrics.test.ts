import { describe, expect, it } from 'vitest';
import { authorizedFetch } from '../support/credentials.js';
import { startApp, useApp } from '../support/app.js';
import { uniqueTopic } from '../support/broker.js';
import { issue } from '../support/http.js';

const app = useApp('metrics', [
  { code: 'CS', authorized: 100 },
  { code: 'PS', authorized: 100 },
]);

/** The value of one sample line of the Prometheus text format, e.g. `certificates_issued{class="CS"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics against a real broker', () => {
  it('exposes requests, latency, batches, commits, the instance role and per-class state in Prometheus text format', async () => {
    for (let index = 0; index < 3; index++) expect((await issue(app().url, 'CS', 30)).status).toBe(201);
    expect((await issue(app().url, 'CS', 30)).status).toBe(409);
    expect((await fetch(`${app().url}/no-such-path`)).status).toBe(404);

    const response = await authorizedFetch(`${app().url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();

    expect(sample(text, 'http_requests_total{route="/",method="POST",status="201"}')).toBe(3);
    expect(sample(text, 'http_requests_total{route="/",method="POST",status="409"}')).toBe(1);
    expect(sample(text, 'http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count{route="/",method="POST"}')).toBe(4);
    expect(sample(text, 'certificates_batch_size_count{class="CS"}')).toBe(3);
    expect(sample(text, 'certificates_batch_size_sum{class="CS"}')).toBe(3);
    expect(sample(text, 'certificates_commit_duration_seconds_count{class="CS"}')).toBe(3);
    // Each of the three writes was sealed (the refused request wrote nothing), which took some time.
    expect(sample(text, 'certificates_seal_duration_seconds_count')).toBe(3);
    expect(sample(text, 'certificates_seal_duration_seconds_sum')).toBeGreaterThan(0);
    expect(sample(text, 'certificates_role{role="writer"}')).toBe(1);
    expect(sample(text, 'certificates_role{role="follower"}')).toBe(0);
    expect(sample(text, 'certificates_role_changes_total{role="writer"}')).toBe(1);
    expect(sample(text, 'certificates_issued{class="CS"}')).toBe(3);
    expect(sample(text, 'certificates_shares_issued{class="CS"}')).toBe(90);
    expect(sample(text, 'certificates_shares_authorized{class="PS"}')).toBe(100);
    expect(sample(text, 'certificates_mailbox_depth{class="CS"}')).toBe(0);
    expect(sample(text, 'certificates_class_ready{class="PS"}')).toBe(1);
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('times no seal when the instance writes unsigned (SIGNING_KEY_FILE unset)', async () => {
    const unsigned = await startApp(uniqueTopic('metrics-unsigned'), [{ code: 'CS', authorized: 100 }], {
      signing: { keyFile: undefined },
    });
    try {
      expect((await issue(unsigned.url, 'CS', 30)).status).toBe(201);
      const text = await (await authorizedFetch(`${unsigned.url}/metrics`)).text();
      expect(sample(text, 'certificates_batch_size_count{class="CS"}')).toBe(1);
      expect(sample(text, 'certificates_seal_duration_seconds_count')).toBe(0);
    } finally {
      await unsigned.close();
    }
  });
});
