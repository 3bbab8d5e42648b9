import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchRun, ScenarioResult } from './model.js';

const HEADER = [
  'scenario',
  'req/s',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'p99.9 ms',
  'max ms',
  'statuses',
  'errors',
  'timeouts',
  'RSS MiB',
  'CPU µs/req',
  '/a',
  "/a'",
  '/d',
  '/ref',
  'p99/ref',
  'seal %',
];

function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function row(result: ScenarioResult): string[] {
  const { latencyMs: latency } = result;
  const statuses = Object.entries(result.statuses)
    .map(([status, count]) => `${status}:${count}`)
    .join(' ');
  return [
    `${result.id} ${result.label}`,
    String(result.requestsPerSecond),
    ms(latency.p50),
    ms(latency.p90),
    ms(latency.p99),
    ms(latency.p99_9),
    ms(latency.max),
    statuses || '–',
    String(result.errors),
    String(result.timeouts),
    result.serviceRssMaxMiB === undefined ? '–' : result.serviceRssMaxMiB.toFixed(0),
    result.serverCpuUsPerRequest === undefined ? '–' : result.serverCpuUsPerRequest.toFixed(1),
    result.ratioToRaw === undefined ? '–' : result.ratioToRaw.toFixed(2),
    result.ratioToKoa === undefined ? '–' : result.ratioToKoa.toFixed(2),
    result.ratioToDurable === undefined ? '–' : result.ratioToDurable.toFixed(2),
    result.ratioToReference === undefined ? '–' : result.ratioToReference.toFixed(2),
    result.p99OverReference === undefined ? '–' : result.p99OverReference.toFixed(2),
    result.sealShare === undefined ? '–' : (result.sealShare * 100).toFixed(1),
  ];
}

/** A fixed-width table for the terminal; numbers right-aligned. */
export function consoleTable(run: BenchRun): string {
  const rows = [HEADER, ...run.scenarios.map(row)];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((cells) => cells[column]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (column === 0 || column === 7 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(HEADER), widths.map((width) => '-'.repeat(width)).join('  '), ...run.scenarios.map((result) => line(row(result)))].join(
    '\n',
  );
}

export function markdownTable(run: BenchRun): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(HEADER),
    line(HEADER.map((_, column) => (column === 0 || column === 7 ? '---' : '---:'))),
    ...run.scenarios.map((r) => line(row(r))),
  ].join('\n');
}

export function machineLine(run: BenchRun): string {
  const { machine, settings } = run;
  return (
    `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, ${machine.java}, Linux ${machine.kernel}; ` +
    `${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.measureSeconds} s measured per scenario` +
    (settings.rounds === undefined ? '' : ` in ${settings.rounds} alternating rounds`) +
    (settings.quick ? ' (quick)' : '') +
    (settings.brokerWarmup === undefined ? '' : `; broker warmed with ${settings.brokerWarmup.produces} produces`)
  );
}

export function auditLines(run: Pick<BenchRun, 'audits'>): string {
  return run.audits
    .map(
      (audit) =>
        `audit ${audit.topic}: ${audit.status}${audit.exitCode === undefined ? '' : ` (exit ${audit.exitCode})`}` +
        (audit.signedWrites === undefined ? '' : audit.signedWrites === 0 ? ', unsigned' : `, ${audit.signedWrites} signed writes`),
    )
    .join('\n');
}

/** Writes <stamp>.json plus latest.json, latest.md and latest.svg under the results directory. */
export async function writeResults(dir: string, run: BenchRun, svg: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const json = `${JSON.stringify(run, null, 2)}\n`;
  const stamped = join(dir, `${run.startedAt.replace(/[:.]/g, '-')}.json`);
  const markdown = `${machineLine(run)}\n\n${markdownTable(run)}\n\n${auditLines(run)}\n`;
  await Promise.all([
    writeFile(stamped, json),
    writeFile(join(dir, 'latest.json'), json),
    writeFile(join(dir, 'latest.md'), markdown),
    writeFile(join(dir, 'latest.svg'), svg),
  ]);
  return stamped;
}
