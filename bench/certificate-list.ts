/**
 * The console's certificate list at scale: a class index of 3.35 M certificates (built from columns,
 * as a snapshot restores one, so no log is needed), and the time one page takes by each way of
 * asking (src/core/certificate-page.ts). `npx tsx bench/certificate-list.ts [count]`
 */
import { CertificateIndex } from '../src/core/certificate-index.js';
import { certificatePage, MAX_NAME_SCAN, type PageQuery } from '../src/core/certificate-page.js';

const COUNT = Number(process.argv[2] ?? 3_350_000);
const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Radia', 'Ken'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Backus', 'Perlman', 'Thompson'];

function syntheticIndex(count: number): CertificateIndex {
  const encoder = new TextEncoder();
  const names = Array.from({ length: 100 }, (_, at) => encoder.encode(`${FIRST[at % 10]} ${LAST[Math.floor(at / 10)]}`));
  const totals = new Float64Array(count);
  const issuedAtMs = new Float64Array(count);
  const nameStarts = new Float64Array(count + 1);
  const writes = new Float64Array(count).fill(Number.NaN);
  let bytes = 0;
  for (let at = 0; at < count; at++) bytes += names[at % 100]!.length;
  const arena = new Uint8Array(bytes);
  let end = 0;
  for (let at = 0; at < count; at++) {
    totals[at] = at + 1;
    issuedAtMs[at] = Date.UTC(2026, 0, 1) + at;
    arena.set(names[at % 100]!, end);
    end += names[at % 100]!.length;
    nameStarts[at + 1] = end;
  }
  // A few with terms, as holders' certificates are.
  const extras = Array.from({ length: 1000 }, (_, at) => [at * 3000, { terms: { holder: `holder-${at % 10}` } }] as const);
  return CertificateIndex.fromColumns('CS', { totals, issuedAtMs, nameStarts, names: arena, issuedAtTexts: [], writes, extras });
}

const built = performance.now();
const index = syntheticIndex(COUNT);
console.log(`index of ${index.count.toLocaleString('en')} certificates built in ${Math.round(performance.now() - built)} ms`);

const find = (_class: string, number: number) => index.get(number);
const cases: ReadonlyArray<readonly [string, PageQuery]> = [
  ['newest 50', { order: 'desc', limit: 50 }],
  ['100 from the middle, oldest first', { order: 'asc', limit: 100, after: Math.floor(COUNT / 2) }],
  ['the oldest 100', { order: 'asc', limit: 100 }],
  ['by id (q=CS-1234567)', { order: 'desc', limit: 50, q: 'CS-1234567' }],
  ["a holder's (terms.holder)", { order: 'desc', limit: 50, holder: 'holder-3' }],
  ['name prefix, common (q=ada lo)', { order: 'desc', limit: 50, q: 'ada lo' }],
  [`name prefix, no match (${MAX_NAME_SCAN.toLocaleString('en')} names scanned)`, { order: 'desc', limit: 50, q: 'zelda' }],
];
for (const [label, query] of cases) {
  for (let warm = 0; warm < 20; warm++) certificatePage(index, query, find);
  const runs = 200;
  const times: number[] = [];
  let items = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    items = certificatePage(index, query, find).items.length;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(runs - 1, Math.floor(q * runs))]!.toFixed(3);
  console.log(`${label.padEnd(52)} ${String(items).padStart(3)} items  median ${at(0.5)} ms  p99 ${at(0.99)} ms`);
}
