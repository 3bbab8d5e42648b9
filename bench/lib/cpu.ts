import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used so far (utime + stime from /proc): for processes other than this one. */
export function cpuSeconds(pid: number): number {
  // Fields 14 and 15 of /proc/PID/stat, after the command in parentheses: user and system ticks.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * Starts counting a process's CPU time, to be divided by the responses given meanwhile; undefined
 * without a process to count or a response to divide by.
 */
export function cpuMeter(pid: number | undefined): { perResponseUs(responses: number): number | undefined } {
  if (pid === undefined) return { perResponseUs: () => undefined };
  const before = cpuSeconds(pid);
  return { perResponseUs: (responses) => (responses > 0 ? ((cpuSeconds(pid) - before) * 1e6) / responses : undefined) };
}
