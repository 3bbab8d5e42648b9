import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { certificateValue } from '../produce-sample.js';

/** Wall-clock time as epoch milliseconds, sub-millisecond, comparable between processes on one machine. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** This process's CPU time so far (user + system), in microseconds. */
export function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Certificate records of class CS as the service writes them (src/log/record.ts encodeValue), numbered from `first`. */
export function certificateValues(count: number, first = 1): string[] {
  return Array.from({ length: count }, (_, index) => certificateValue(first + index));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A child message: every message between the bench and its children has a type. */
export interface Message {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** A Node child process running one of the spike's TypeScript modules (through tsx), spoken to over IPC. */
export class Child {
  private readonly inbox: Message[] = [];
  private readonly waiters: Array<{ readonly test: (message: Message) => boolean; readonly resolve: (message: Message) => void }> = [];
  readonly process: ChildProcess;
  readonly exited: Promise<void>;

  constructor(module: string, args: readonly string[]) {
    this.process = fork(fileURLToPath(new URL(module, import.meta.url)), [...args], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.process.once('exit', () => resolve()));
    this.process.on('message', (raw) => {
      const message = raw as Message;
      const index = this.waiters.findIndex((waiter) => waiter.test(message));
      if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
      else this.inbox.push(message);
    });
  }

  send(message: Message): void {
    this.process.send(message);
  }

  /** The first message (already received or still to come) that passes `test`, which it consumes. */
  next(test: (message: Message) => boolean, timeoutMs: number, what: string): Promise<Message> {
    const index = this.inbox.findIndex(test);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve: (message: Message) => (clearTimeout(timer), resolve(message)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends `message` and waits for the answer of type `answer`. */
  async ask(message: Message, answer: string, timeoutMs = 60_000): Promise<Message> {
    this.send(message);
    return this.next((reply) => reply.type === answer, timeoutMs, `${answer} from ${this.process.pid}`);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
  }
}

/** In a child: sends a message to the bench. */
export function tell(message: Message): void {
  process.send?.(message);
}

/** In a child: calls `handle` for every message from the bench. */
export function listen(handle: (message: Message) => void | Promise<void>): void {
  process.on('message', (raw) => {
    Promise.resolve(handle(raw as Message)).catch((error: unknown) => {
      console.error('[spike child] failed:', error);
      process.exit(1);
    });
  });
  // The bench going away takes its children with it.
  process.on('disconnect', () => process.exit(0));
}

/** Median of the rounds, to one decimal. */
export function mid(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[sorted.length >> 1]! * 10) / 10;
}

export function percentile(values: ArrayLike<number>, fraction: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN;
}

export const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** A markdown table. */
export function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const line = (cells: ReadonlyArray<string | number>): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
