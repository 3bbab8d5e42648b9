import type { Acknowledged } from '../../src/audit/check.js';
import { authorizedFetch } from './credentials.js';
import { concurrently } from './http.js';
import { sleep, until } from './load.js';
import { startService, type RunningService } from './service.js';

export interface InstanceStatus {
  readonly ready: boolean;
  readonly role?: string;
  readonly generation?: number;
  readonly writerUrl?: string;
}

/** What one instance's /readyz says of its role; unreachable or paused instances read as not ready. */
export async function instanceStatus(url: string, timeoutMs = 1000): Promise<InstanceStatus> {
  try {
    const response = await authorizedFetch(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    // A 503 carries the same facts beside its error's code and message (src/http/errors.ts).
    const body = (await response.json()) as Record<string, unknown> & { error?: Record<string, unknown> };
    const details = response.status === 200 ? body : (body.error ?? {});
    return {
      ready: response.status === 200,
      role: details.role as string | undefined,
      generation: details.generation as number | undefined,
      writerUrl: details.writerUrl as string | undefined,
    };
  } catch {
    return { ready: false };
  }
}

/**
 * Several service processes on one topic, each on its own port, started from src/main.ts as an
 * operator would. Slots keep their port across restarts, so a client's list of URLs stays valid.
 */
export class Cluster {
  readonly instances: RunningService[] = [];
  private readonly paused = new Set<number>();

  private constructor(private readonly env: Record<string, string>) {}

  static async start(size: number, env: Record<string, string>): Promise<Cluster> {
    const cluster = new Cluster(env);
    // One after another: the first elects itself, the others join as followers.
    for (let slot = 0; slot < size; slot++) cluster.instances.push(await startService(env));
    await cluster.settled();
    return cluster;
  }

  get urls(): string[] {
    return this.instances.map((instance) => instance.url);
  }

  /** Round-robin over the instances that are up (a paused one still counts: clients cannot tell). */
  roundRobin(): () => string {
    let next = 0;
    return () => this.urls[next++ % this.urls.length]!;
  }

  /** Waits until every instance that runs agrees on one writer, which says it is the writer; returns its slot. */
  async settled(timeoutMs = 30_000): Promise<number> {
    let writer = -1;
    let seen: (InstanceStatus | undefined)[] = [];
    await until(
      () => `the instances to agree on one writer; last seen, by slot: ${JSON.stringify(seen)}`,
      async () => {
        const statuses = await Promise.all(this.urls.map((url, slot) => (this.paused.has(slot) ? undefined : instanceStatus(url))));
        seen = statuses;
        const writers = statuses.flatMap((status, slot) => (status?.role === 'writer' ? [slot] : []));
        if (writers.length !== 1) return false;
        writer = writers[0]!;
        // The writer names itself by the URL it advertises (its internal listener's), which the others name too.
        const writerUrl = statuses[writer]!.writerUrl;
        return (
          writerUrl !== undefined && statuses.every((status) => status === undefined || (status.ready && status.writerUrl === writerUrl))
        );
      },
      timeoutMs,
    );
    return writer;
  }

  /** Polls the running instances until one other than `former` says it is the writer; the time that took. */
  async failover(former: number, since: number, timeoutMs = 30_000): Promise<{ slot: number; ms: number }> {
    for (;;) {
      const statuses = await Promise.all(
        this.urls.map((url, slot) => (slot === former || this.paused.has(slot) ? undefined : instanceStatus(url, 300))),
      );
      const slot = statuses.findIndex((status) => status?.role === 'writer');
      if (slot >= 0) return { slot, ms: Date.now() - since };
      if (Date.now() - since > timeoutMs) throw new Error(`no instance took over within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async kill(slot: number): Promise<void> {
    await this.instances[slot]!.stop('SIGKILL');
  }

  async restart(slot: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const instance = this.instances[slot]!;
    await instance.stop(signal);
    this.instances[slot] = await startService(this.env, instance.port);
  }

  /** Starts a killed slot again on its port. */
  async revive(slot: number): Promise<void> {
    this.instances[slot] = await startService(this.env, this.instances[slot]!.port);
  }

  pause(slot: number): void {
    this.instances[slot]!.child.kill('SIGSTOP');
    this.paused.add(slot);
  }

  resume(slot: number): void {
    this.instances[slot]!.child.kill('SIGCONT');
    this.paused.delete(slot);
  }

  async stop(): Promise<void> {
    for (const slot of this.paused) this.resume(slot);
    await Promise.all(this.instances.map((instance) => instance.stop('SIGKILL')));
  }
}

/**
 * Asks every instance for every acknowledged certificate and returns what differs from what the
 * client was told: a client that got `201 CS-n` from one instance must find CS-n on all of them.
 */
export async function lookupMismatches(urls: readonly string[], acknowledged: readonly Acknowledged[]): Promise<string[]> {
  const mismatches: string[] = [];
  await concurrently(acknowledged.length * urls.length, 16, async (index) => {
    const ack = acknowledged[Math.floor(index / urls.length)]!;
    const url = urls[index % urls.length]!;
    const response = await authorizedFetch(`${url}/certificates/${ack.id}`);
    const body = (await response.json()) as { name?: string; amount?: number };
    if (response.status !== 200 || body.name !== ack.name || body.amount !== ack.amount) {
      mismatches.push(`${url}/certificates/${ack.id}: ${response.status} ${JSON.stringify(body)}`);
    }
  });
  return mismatches;
}

/** Ids the load saw acknowledged more than once: must be none, whichever instance answered. */
export function acknowledgedTwice(acknowledged: readonly Acknowledged[]): string[] {
  const seen = new Set<string>();
  return acknowledged.filter(({ id }) => seen.has(id) || !seen.add(id)).map(({ id }) => id);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
}
