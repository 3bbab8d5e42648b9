import type { BenchRun, Latency, ScenarioResult } from './model.js';

const WIDTH = 960;
const LABEL_WIDTH = 380;
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - 90;
const ROW = 22;
const PERCENTILES: ReadonlyArray<{ key: keyof Latency; name: string; colour: string }> = [
  { key: 'p50', name: 'p50', colour: '#9ecae1' },
  { key: 'p90', name: 'p90', colour: '#4292c6' },
  { key: 'p99', name: 'p99', colour: '#08519c' },
  { key: 'p99_9', name: 'p99.9', colour: '#08306b' },
];
const BAR = 6;
/** Latency targets of issue 6: p99 ≤ 10 ms is the bar, p99 < 100 ms the must. */
const TARGETS_MS = [10, 100];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attributes && ` ${attributes}`}>${escape(content)}</text>`;
}

/** Characters of a scenario's name that fit left of the bars at 12 px. */
const LABEL_CHARS = 56;

function scenarioName(scenario: ScenarioResult): string {
  const name = `${scenario.id}  ${scenario.label}`;
  return name.length <= LABEL_CHARS ? name : `${name.slice(0, LABEL_CHARS - 1)}…`;
}

function rect(x: number, y: number, width: number, height: number, fill: string): string {
  return `<rect x="${x}" y="${y}" width="${Math.max(0, width).toFixed(1)}" height="${height}" fill="${fill}"/>`;
}

function throughputPanel(scenarios: readonly ScenarioResult[], top: number): { svg: string[]; height: number } {
  const max = Math.max(1, ...scenarios.map((s) => s.requestsPerSecond));
  const svg = [text(0, top + 14, 'Throughput, requests/s (Kafka floor: sequential produces/s)', 'font-weight="bold"')];
  scenarios.forEach((scenario, index) => {
    const y = top + 28 + index * ROW;
    const width = (scenario.requestsPerSecond / max) * PLOT_WIDTH;
    svg.push(text(0, y + 13, scenarioName(scenario)));
    // The service's own scenarios are the ones read over a baseline's load.
    svg.push(rect(LABEL_WIDTH, y + 2, width, ROW - 6, scenario.load === undefined ? '#969696' : '#e6550d'));
    svg.push(text(LABEL_WIDTH + width + 6, y + 13, scenario.requestsPerSecond.toLocaleString('en-US')));
  });
  return { svg, height: 36 + scenarios.length * ROW };
}

function latencyPanel(scenarios: readonly ScenarioResult[], top: number): { svg: string[]; height: number } {
  // Latencies span 0.1 ms to seconds here, so a log scale keeps every scenario readable.
  const values = scenarios.flatMap((s) => PERCENTILES.map(({ key }) => s.latencyMs[key] ?? 0)).filter((v) => v > 0);
  const low = 0.1;
  const high = 10 ** Math.max(2, Math.ceil(Math.log10(Math.max(...values, 1))));
  const x = (ms: number): number => LABEL_WIDTH + (Math.log10(Math.max(ms, low) / low) / Math.log10(high / low)) * PLOT_WIDTH;
  const rowHeight = PERCENTILES.length * BAR + 8;
  const plotTop = top + 44;
  const plotHeight = scenarios.length * rowHeight;
  const svg = [text(0, top + 14, 'Latency percentiles, ms (log scale); dashed: 10 ms bar, 100 ms must', 'font-weight="bold"')];
  PERCENTILES.forEach(({ name, colour }, index) => {
    svg.push(rect(LABEL_WIDTH + index * 80, top + 22, 10, 10, colour), text(LABEL_WIDTH + index * 80 + 14, top + 31, name));
  });
  for (let tick = low; tick <= high; tick *= 10) {
    svg.push(`<line x1="${x(tick)}" y1="${plotTop}" x2="${x(tick)}" y2="${plotTop + plotHeight}" stroke="#ddd"/>`);
    svg.push(text(x(tick), plotTop + plotHeight + 14, String(Number(tick.toPrecision(1))), 'text-anchor="middle"'));
  }
  for (const target of TARGETS_MS) {
    svg.push(
      `<line x1="${x(target)}" y1="${plotTop}" x2="${x(target)}" y2="${plotTop + plotHeight}" stroke="#d62728" stroke-dasharray="4 3"/>`,
    );
  }
  scenarios.forEach((scenario, index) => {
    const y = plotTop + index * rowHeight;
    svg.push(text(0, y + rowHeight / 2 + 4, scenarioName(scenario)));
    PERCENTILES.forEach(({ key, colour }, bar) => {
      const value = scenario.latencyMs[key];
      if (value !== undefined && !Number.isNaN(value))
        svg.push(rect(LABEL_WIDTH, y + 4 + bar * BAR, x(value) - LABEL_WIDTH, BAR - 1, colour));
    });
    const p99 = scenario.latencyMs.p99;
    svg.push(text(x(Math.max(p99, scenario.latencyMs.p99_9 ?? 0)) + 6, y + rowHeight / 2 + 4, `p99 ${p99} ms`, 'fill="#555"'));
  });
  return { svg, height: 44 + plotHeight + 24 };
}

/** A dependency-free SVG: throughput bars, then latency percentile bars, one row per scenario. */
export function renderChart(run: BenchRun, machine: string): string {
  // The machine, then the run's settings, each on a line of its own: as one line it ran off the chart.
  const lines = machine.split('; ');
  const subtitle = [lines[0]!, lines.slice(1).join('; ')].filter((line) => line !== '');
  const title = [
    text(0, 18, `npm run bench, ${run.startedAt}`, 'font-weight="bold" font-size="15"'),
    ...subtitle.map((line, index) => text(0, 36 + index * 16, line, 'fill="#555"')),
  ];
  const top = 36 + subtitle.length * 16;
  const throughput = throughputPanel(run.scenarios, top);
  const latency = latencyPanel(run.scenarios, top + throughput.height + 10);
  const height = top + throughput.height + 10 + latency.height;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...title,
    ...throughput.svg,
    ...latency.svg,
    '</svg>',
    '',
  ].join('\n');
}
