import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from './children.js';
import { cpuMeter } from './cpu.js';
import type { FireJob, FireOutcome } from './fire.js';
import type { ScenarioResult } from './model.js';
import { summarise } from './stats.js';

const FIRE = fileURLToPath(new URL('./fire.ts', import.meta.url));

export interface LoadSpec {
  readonly url: string;
  readonly bodies: readonly object[];
  readonly warmupBodies?: readonly object[];
  /** Sends a new Idempotency-Key with every request. */
  readonly keyed?: boolean;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly measureSeconds: number;
  /** The server's process, whose CPU per request over the measured burst is reported. */
  readonly serverPid?: number;
}

export type LoadResult = Omit<ScenarioResult, 'id' | 'label' | 'tool'>;

/** Runs one burst in a fresh process (why: bench/fire.ts). */
async function fire(spec: LoadSpec, bodies: readonly object[], seconds: number): Promise<FireOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-fire-'));
  try {
    const job: FireJob = {
      url: spec.url,
      connections: spec.connections,
      seconds,
      bodies,
      keyed: spec.keyed === true,
      outcomeFile: join(dir, 'outcome.json'),
    };
    const { code, output } = await runCommand(process.execPath, ['--import', 'tsx', FIRE, JSON.stringify(job)]);
    if (code !== 0) throw new Error(`autocannon burst exited with code ${code}: ${output.slice(-500)}`);
    return JSON.parse(await readFile(job.outcomeFile, 'utf8')) as FireOutcome;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Warms up (discarded; none for 0 s), then measures for a fixed duration with a fixed number of connections. */
export async function measureLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.warmupSeconds > 0) await fire(spec, spec.warmupBodies ?? spec.bodies, spec.warmupSeconds);
  const cpu = cpuMeter(spec.serverPid);
  const outcome = await fire(spec, spec.bodies, spec.measureSeconds);
  const total = Object.values(outcome.statuses).reduce((sum, count) => sum + count, 0);
  const serverCpuUsPerRequest = cpu.perResponseUs(total);
  return {
    ...(serverCpuUsPerRequest === undefined ? {} : { serverCpuUsPerRequest }),
    // Completed responses over the wall time: autocannon's per-second mean drops the partial last second.
    requestsPerSecond: Math.round(total / outcome.duration),
    latencyMs: summarise(outcome.samples),
    total,
    statuses: outcome.statuses,
    non2xx: outcome.non2xx,
    errors: outcome.errors,
    timeouts: outcome.timeouts,
  };
}
