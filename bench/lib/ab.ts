import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTHORIZATION } from '../../test/support/credentials.js';
import { runCommand } from './children.js';
import type { ScenarioResult } from './model.js';
import { median } from './stats.js';

function field(output: string, label: string): number {
  const match = new RegExp(`^${label}:\\s+([\\d.]+)`, 'm').exec(output);
  return match ? Number(match[1]) : 0;
}

function served(output: string, percent: number): number {
  const match = new RegExp(`^\\s*${percent}%\\s+(\\d+)`, 'm').exec(output);
  return match ? Number(match[1]) : Number.NaN;
}

/** ab counts a body whose length differs from the first one's as failed; ours vary (CS-9 vs CS-10). */
function failures(output: string): number {
  const match = /Connect: (\d+), Receive: (\d+), Length: \d+, Exceptions: (\d+)/.exec(output);
  return match ? Number(match[1]) + Number(match[2]) + Number(match[3]) : 0;
}

/** Reads ab's text report; ab reports whole milliseconds and no p99.9. */
export function parseAb(output: string): Omit<ScenarioResult, 'id' | 'label' | 'tool'> {
  const total = field(output, 'Complete requests');
  const non2xx = field(output, 'Non-2xx responses');
  return {
    requestsPerSecond: Math.round(field(output, 'Requests per second')),
    latencyMs: { p50: served(output, 50), p90: served(output, 90), p99: served(output, 99), max: served(output, 100) },
    total,
    statuses: { '2xx': total - non2xx, ...(non2xx > 0 ? { 'non-2xx': non2xx } : {}) },
    non2xx,
    errors: failures(output),
    timeouts: 0,
  };
}

/**
 * The original's compatibility run: `ab -n N -c C -p body.json -T application/json URL` (no
 * keep-alive, as the original ran it), with `headers` (the bench admin's key unless told). Resolves
 * undefined when ab is not installed.
 */
export async function runAb(
  url: string,
  body: object,
  requests: number,
  connections: number,
  headers: Readonly<Record<string, string>> = AUTHORIZATION,
): Promise<ScenarioResult | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-ab-'));
  try {
    const bodyFile = join(dir, 'body.json');
    await writeFile(bodyFile, JSON.stringify(body));
    // ab wants a path: POST / (the service's URLs have none).
    const args = [
      '-q',
      '-n',
      String(requests),
      '-c',
      String(connections),
      '-p',
      bodyFile,
      '-T',
      'application/json',
      ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
      `${url.replace(/\/$/, '')}/`,
    ];
    const { code, output } = await runCommand('ab', args).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return { code: -1, output: '' };
      throw error;
    });
    if (code === -1) return undefined;
    if (code !== 0) throw new Error(`ab exited with code ${code}: ${output.slice(-500)}`);
    return { id: 'ab', label: `ab -n ${requests} -c ${connections} (no keep-alive)`, tool: 'ab', ...parseAb(output) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Several ab runs of one scenario as one result: their requests over their summed times. ab reports
 * percentiles, not each response's time, so each percentile is the median of the runs'.
 */
export function combineAbRuns(runs: readonly ScenarioResult[]): Omit<ScenarioResult, 'id' | 'label' | 'tool'> {
  const total = runs.reduce((sum, run) => sum + run.total, 0);
  const seconds = runs.reduce((sum, run) => sum + run.total / run.requestsPerSecond, 0);
  const non2xx = runs.reduce((sum, run) => sum + run.non2xx, 0);
  const percentile = (field: 'p50' | 'p90' | 'p99' | 'max'): number => median(runs.map((run) => run.latencyMs[field]));
  return {
    requestsPerSecond: Math.round(total / seconds),
    latencyMs: {
      p50: percentile('p50'),
      p90: percentile('p90'),
      p99: percentile('p99'),
      max: Math.max(...runs.map((run) => run.latencyMs.max)),
    },
    total,
    statuses: { '2xx': total - non2xx, ...(non2xx > 0 ? { 'non-2xx': non2xx } : {}) },
    non2xx,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    timeouts: 0,
  };
}
