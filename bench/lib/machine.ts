import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { runCommand } from './children.js';
import type { Machine } from './model.js';

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

async function javaVersion(): Promise<string> {
  // `java -version` prints to stderr, e.g. `openjdk version "17.0.15" 2025-04-15`.
  const { output } = await runCommand('java', ['-version']).catch(() => ({ output: 'absent' }));
  return output.split('\n')[0]?.trim() ?? 'unknown';
}

/** What the numbers were measured on: they mean little without it. */
export async function describeMachine(): Promise<Machine> {
  const { output: nproc } = await runCommand('nproc', []).catch(() => ({ output: String(cpus().length) }));
  return { cpus: Number(nproc.trim()), cpuModel: cpuModel(), node: process.version, java: await javaVersion(), kernel: release() };
}
