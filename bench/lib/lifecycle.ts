import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { newApiKey } from '../../src/auth/api-keys.js';
import { writeKeyFile } from '../../src/auth/key-file.js';
import { cpuSeconds } from './cpu.js';
import type { ScenarioResult } from './model.js';
import { issueBody } from './scenarios.js';
import { summarise } from './stats.js';

/**
 * A transfer's latency beside an issuance's (issue 33): the same clients send issuances and
 * transfers of certificates nobody transferred yet, in phases that take turns, so the machine's
 * drift falls on both. A closed loop of our own rather than autocannon, because every transfer
 * names another certificate, one the bench issued itself.
 */

/** Each certificate issued here; a transfer sells part of it and gives the balance back. */
export const ISSUED_AMOUNT = 1000;
export const TRANSFER_BODY = { transferees: [{ name: 'Buyer', amount: 400 }], reason: 'bench' } as const;

export interface Answer {
  readonly ms: number;
  readonly status: number;
  /** An issuance's `Location`: `/certificates/<id>`. */
  readonly location?: string;
}

/** One phase: its answers, its wall time, and the service's CPU time over it. */
export interface Phase {
  readonly answers: readonly Answer[];
  readonly seconds: number;
  readonly cpuSeconds: number;
}

export interface LifecyclePlan {
  /** Concurrent clients, each sending its next request once its last is answered. */
  readonly clients: number;
  /** Certificates issued before anything is measured, the first ones transferred among them. */
  readonly certificates: number;
  readonly rounds: number;
  /** Requests of each kind a round. */
  readonly perRound: number;
}

export interface LifecycleTarget {
  readonly url: string;
  readonly pid: number;
  /** Least privilege, as in use: an issuer's key issues, a transfer clerk's key transfers. */
  readonly headers: { readonly issue: Readonly<Record<string, string>>; readonly transfer: Readonly<Record<string, string>> };
}

/** `count` requests from `clients` clients, each sending its next once its last is answered; the answers in request order. */
export async function closedLoop<T>(count: number, clients: number, send: (index: number) => Promise<T>): Promise<T[]> {
  const answers = new Array<T>(count);
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      answers[index] = await send(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(clients, count) }, client));
  return answers;
}

/** Phases of one kind as a scenario: exact percentiles over every answer, throughput and CPU over their summed time. */
export function phaseResult(id: string, label: string, phases: readonly Phase[]): ScenarioResult {
  const answers = phases.flatMap((phase) => phase.answers);
  const statuses: Record<string, number> = {};
  for (const { status } of answers) statuses[status] = (statuses[status] ?? 0) + 1;
  const seconds = phases.reduce((sum, phase) => sum + phase.seconds, 0);
  const cpu = phases.reduce((sum, phase) => sum + phase.cpuSeconds, 0);
  return {
    id,
    label,
    tool: 'client',
    requestsPerSecond: seconds > 0 ? Math.round(answers.length / seconds) : 0,
    latencyMs: summarise(answers.map((answer) => answer.ms)),
    total: answers.length,
    statuses,
    non2xx: answers.filter((answer) => answer.status < 200 || answer.status > 299).length,
    errors: 0,
    timeouts: 0,
    ...(answers.length > 0 ? { serverCpuUsPerRequest: (cpu * 1e6) / answers.length } : {}),
  };
}

/** The transfer read over the issuance: throughput and p99 (above 1 is slower). */
export function besideIssuance(transfer: ScenarioResult, issuance: ScenarioResult): ScenarioResult {
  if (issuance.requestsPerSecond === 0) return transfer;
  return {
    ...transfer,
    reference: issuance.id,
    ratioToReference: transfer.requestsPerSecond / issuance.requestsPerSecond,
    p99OverReference: transfer.latencyMs.p99 / issuance.latencyMs.p99,
  };
}

/** A key file with an issuer's key and a transfer clerk's, for a service's API_KEYS_FILE. */
export function lifecycleKeys(): { readonly env: Readonly<Record<string, string>>; readonly headers: LifecycleTarget['headers'] } {
  const file = join(mkdtempSync(join(tmpdir(), 'api-keys-')), 'api-keys.json');
  const issuer = newApiKey('bench issuer', ['certificates:issue'], new Date());
  const clerk = newApiKey('bench transfer clerk', ['certificates:transfer'], new Date());
  writeKeyFile(file, [issuer.record, clerk.record]);
  return {
    env: { API_KEYS_FILE: file },
    headers: { issue: { authorization: `Bearer ${issuer.key}` }, transfer: { authorization: `Bearer ${clerk.key}` } },
  };
}

function post(agent: Agent, url: string, path: string, headers: Readonly<Record<string, string>>, body: object): Promise<Answer> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const asked = request(
      new URL(path, url),
      { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ ms: performance.now() - started, status: response.statusCode ?? 0, location: response.headers.location }),
        );
      },
    );
    asked.on('error', reject);
    asked.setTimeout(10_000, () => asked.destroy(new Error(`POST ${path} had no answer in 10 s`)));
    asked.end(payload);
  });
}

async function timed(pid: number, run: () => Promise<readonly Answer[]>): Promise<Phase> {
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const answers = await run();
  return { answers, seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSeconds(pid) - cpuBefore };
}

const issuedIds = (answers: readonly Answer[]): string[] =>
  answers.flatMap((answer) => (answer.status === 201 && answer.location ? [answer.location.slice('/certificates/'.length)] : []));

/**
 * Issues `certificates`, then `rounds` rounds of an issuance phase and a transfer phase, in turns
 * (the first of a round alternates), each transfer on the newest certificate not yet transferred.
 */
export async function measureLifecycle(target: LifecycleTarget, plan: LifecyclePlan): Promise<[ScenarioResult, ScenarioResult]> {
  if (plan.certificates < plan.perRound) throw new Error('Expected at least as many certificates beforehand as transfers a round');
  const agent = new Agent({ keepAlive: true, maxSockets: plan.clients });
  const issue = (): Promise<Answer> => post(agent, target.url, '/certificates', target.headers.issue, issueBody('CS', ISSUED_AMOUNT));
  const transfer = (id: string): Promise<Answer> =>
    post(agent, target.url, `/certificates/${encodeURIComponent(id)}/transfer`, target.headers.transfer, TRANSFER_BODY);
  try {
    const untransferred = issuedIds(await closedLoop(plan.certificates, plan.clients, issue));
    const issuances: Phase[] = [];
    const transfers: Phase[] = [];
    for (let round = 0; round < plan.rounds; round++) {
      for (const kind of round % 2 === 0 ? ['issue', 'transfer'] : ['transfer', 'issue']) {
        if (kind === 'issue') {
          const phase = await timed(target.pid, () => closedLoop(plan.perRound, plan.clients, issue));
          untransferred.push(...issuedIds(phase.answers));
          issuances.push(phase);
        } else {
          const ids = untransferred.splice(-plan.perRound);
          transfers.push(await timed(target.pid, () => closedLoop(ids.length, plan.clients, (index) => transfer(ids[index]!))));
        }
      }
    }
    const label = `${plan.clients} clients, ${plan.rounds} × ${plan.perRound}, after ${plan.certificates} certificates`;
    const issued = phaseResult('e-issue', `issuance, POST /certificates, ${label}`, issuances);
    const transferred = phaseResult('e-transfer', `transfer of 400 of 1,000 to one buyer, ${label}`, transfers);
    return [issued, besideIssuance(transferred, issued)];
  } finally {
    agent.destroy();
  }
}
