import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used so far (utime + stime from /proc): for processes other than this one. */
export function cpuSeconds(pid: number): number {
  // Fields 14 and 15 of /proc/PID/stat, after the command in parentheses: user and system ticks.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
