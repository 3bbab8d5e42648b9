import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUTHORIZATION } from '../../test/support/credentials.js';
import { runCommand } from './children.js';
import { cpuSeconds } from './cpu.js';
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
  /** The credentials sent with every request; the test admin's API key unless told (none: `{}`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The service's /metrics, read (as the test admin) before and after each burst for the time it spent sealing writes. */
  readonly metricsUrl?: string;
}

export type LoadResult = Omit<ScenarioResult, 'id' | 'label' | 'tool'>;

/** Runs one burst in a fresh process (why: bench/fire.ts), by default as the admin whose key every service the bench starts accepts (startChild). */
async function fire(spec: LoadSpec, bodies: readonly object[], seconds: number): Promise<FireOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-fire-'));
  try {
    const job: FireJob = {
      url: spec.url,
      connections: spec.connections,
      seconds,
      bodies,
      keyed: spec.keyed === true,
      headers: spec.headers ?? AUTHORIZATION,
      outcomeFile: join(dir, 'outcome.json'),
    };
    const { code, output } = await runCommand(process.execPath, ['--import', 'tsx', FIRE, JSON.stringify(job)]);
    if (code !== 0) throw new Error(`autocannon burst exited with code ${code}: ${output.slice(-500)}`);
    return JSON.parse(await readFile(job.outcomeFile, 'utf8')) as FireOutcome;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One measured burst: what autocannon saw, and the server's CPU time and time spent sealing over it when asked. */
export interface Burst extends Omit<FireOutcome, 'samples'> {
  readonly samples: readonly number[];
  readonly cpuSeconds?: number;
  readonly sealSeconds?: number;
}

/** The seconds the service has spent sealing writes since it started (`certificates_seal_duration_seconds`), from its /metrics. */
export async function sealSeconds(metricsUrl: string): Promise<number> {
  const response = await fetch(metricsUrl, { headers: AUTHORIZATION });
  if (!response.ok) throw new Error(`Expected 200 from ${metricsUrl}, got ${response.status}`);
  const line = /^certificates_seal_duration_seconds_sum (\S+)$/m.exec(await response.text());
  if (line === null) throw new Error(`Expected certificates_seal_duration_seconds_sum in ${metricsUrl}`);
  return Number(line[1]);
}

/**
 * The time spent sealing over the wall time, as a result's `sealShare`: none when a part was not
 * measured (a share of part of the time would pass for the whole) or nothing was sealed (unsigned).
 */
export function sealShare(sealed: ReadonlyArray<number | undefined>, wallSeconds: number): Pick<LoadResult, 'sealShare'> {
  let total = 0;
  for (const seconds of sealed) {
    if (seconds === undefined) return {};
    total += seconds;
  }
  return total === 0 || wallSeconds === 0 ? {} : { sealShare: total / wallSeconds };
}

/** The discarded warm-up (none for 0 s). */
export async function warmUp(spec: LoadSpec): Promise<void> {
  if (spec.warmupSeconds > 0) await fire(spec, spec.warmupBodies ?? spec.bodies, spec.warmupSeconds);
}

/** One burst of `seconds`, measured. */
export async function measureBurst(spec: LoadSpec, seconds: number): Promise<Burst> {
  const sealedBefore = spec.metricsUrl === undefined ? undefined : await sealSeconds(spec.metricsUrl);
  const before = spec.serverPid === undefined ? undefined : cpuSeconds(spec.serverPid);
  const outcome = await fire(spec, spec.bodies, seconds);
  const cpu = before === undefined ? {} : { cpuSeconds: cpuSeconds(spec.serverPid!) - before };
  const sealed = sealedBefore === undefined ? {} : { sealSeconds: (await sealSeconds(spec.metricsUrl!)) - sealedBefore };
  return { ...outcome, ...cpu, ...sealed };
}

/** Bursts of one scenario as one result: responses over their summed durations, exact percentiles over every response. */
export function combineBursts(bursts: readonly Burst[]): LoadResult {
  const statuses: Record<string, number> = {};
  let duration = 0;
  let cpu: number | undefined = 0;
  for (const burst of bursts) {
    for (const [status, count] of Object.entries(burst.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
    duration += burst.duration;
    cpu = cpu === undefined || burst.cpuSeconds === undefined ? undefined : cpu + burst.cpuSeconds;
  }
  const total = Object.values(statuses).reduce((sum, count) => sum + count, 0);
  const sum = (field: 'non2xx' | 'errors' | 'timeouts'): number => bursts.reduce((all, burst) => all + burst[field], 0);
  return {
    ...(cpu === undefined || total === 0 ? {} : { serverCpuUsPerRequest: (cpu * 1e6) / total }),
    ...sealShare(
      bursts.map((burst) => burst.sealSeconds),
      duration,
    ),
    // Completed responses over the wall time: autocannon's per-second mean drops the partial last second.
    requestsPerSecond: Math.round(total / duration),
    latencyMs: summarise(bursts.flatMap((burst) => burst.samples)),
    total,
    statuses,
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
  };
}

/** Warms up (discarded; none for 0 s), then measures one burst of a fixed duration with a fixed number of connections. */
export async function measureLoad(spec: LoadSpec): Promise<LoadResult> {
  await warmUp(spec);
  return combineBursts([await measureBurst(spec, spec.measureSeconds)]);
}
