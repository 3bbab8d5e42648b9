import { readFileSync } from 'node:fs';

export interface RssSampler {
  /** Stops sampling; the largest resident set seen, in MiB. */
  stop(): number;
}

function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

/** A process's resident set now and the largest it has had (VmHWM), in MiB (Linux /proc only). */
export function rssMiB(pid: number): { readonly now: number; readonly peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (field: string): number =>
    Math.round((Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? 0) / 1024) * 10) / 10;
  return { now: mib('VmRSS'), peak: mib('VmHWM') };
}

/** Samples a process's resident set every `everyMs` while load runs (Linux /proc only). */
export function sampleRss(pid: number, everyMs = 100): RssSampler {
  let maxKiB = rssKiB(pid);
  const timer = setInterval(() => {
    try {
      maxKiB = Math.max(maxKiB, rssKiB(pid));
    } catch {
      // The process is gone; the maximum so far stands.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.round((maxKiB / 1024) * 10) / 10;
    },
  };
}
