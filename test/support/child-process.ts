import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { KEYS_ENV } from './credentials.js';

/** Children run from the repository's root, where their scripts' paths (src/main.ts, dist/main.js, bench/servers/…) start. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A Node process of the project's (the service, a bench server) that answers HTTP on 127.0.0.1. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /**
   * Sends the signal (SIGTERM by default; SIGKILL after `killAfterMs`, 30 s by default, past a
   * graceful stop's 15 s, if it has not gone) and resolves with the exit code once it has.
   */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<number | null>;
}

export interface ChildSpec {
  readonly name: string;
  /** Node's arguments: flags, then the script. */
  readonly args: readonly string[];
  readonly port: number;
  /** Set over this process's environment and API_KEYS_FILE (the test admin key's file: a service accepts that key). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where its output is written as well. */
  readonly logFile?: string;
  readonly readyTimeoutMs?: number;
}

const running = new Set<ChildProcess>();

// A test or bench that ends early must not leave its children holding ports and CPU.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Kills every child still running (a bench interrupted halfway). */
export function killChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request(url, { method: 'GET', timeout: 1000 }, (response) => {
      response.resume();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
    probe.on('timeout', () => probe.destroy());
    probe.end();
  });
}

/**
 * Starts a Node process of the project's and resolves once it answers HTTP at all; rejects with
 * what it printed if it exits first or does not answer in time. The one way tests and the bench
 * run the service (and the bench its baselines) as processes of their own.
 */
export async function startChild(spec: ChildSpec): Promise<Child> {
  const child = spawn(process.execPath, [...spec.args], {
    cwd: ROOT,
    env: { ...process.env, ...KEYS_ENV, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const log = spec.logFile === undefined ? undefined : createWriteStream(spec.logFile);
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      log?.write(chunk);
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      log?.end();
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${spec.port}`;
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
  while (!(await answers(`${url}/`))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${spec.name} exited with ${child.exitCode ?? child.signalCode} before answering:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${spec.name} did not answer on ${url} in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name: spec.name,
    pid: child.pid!,
    port: spec.port,
    url,
    child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
