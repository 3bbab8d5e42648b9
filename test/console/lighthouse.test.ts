/**
 * Lighthouse (the npm package, run with Debian's Chromium) on the console's cap-table page, signed in:
 * performance, accessibility and best practices must each score at least 95 (issue 34). The scores
 * are printed, for docs/console.md.
 */
import type { Browser } from 'playwright-core';
import lighthouse from 'lighthouse';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uniqueTopic } from '../support/broker.js';
import { ADMIN } from '../support/credentials.js';
import { launch } from './browser.js';
import { freePort } from '../support/free-port.js';
import { startConsoleService, type ConsoleService } from './service.js';

let service: ConsoleService;
let chrome: Browser;
let debuggingPort = 0;

beforeAll(async () => {
  service = await startConsoleService({ KAFKA_TOPIC: uniqueTopic('console-lighthouse') });
  // A few certificates, so the page has figures, a chart and a list to draw.
  for (const [name, amount] of [
    ['Ada Lovelace', 1000],
    ['Grace Hopper', 250],
    ['Alan Turing', 75],
  ] as const) {
    const issued = await fetch(`${service.url}/certificates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ class: 'CS', name, amount }),
    });
    expect(issued.status).toBe(201);
  }
  // Lighthouse drives the browser itself, over the DevTools port this one opens.
  debuggingPort = await freePort();
  chrome = await launch([`--remote-debugging-port=${debuggingPort}`]);
}, 180_000);

afterAll(async () => {
  await chrome?.close();
  await service?.stop();
});

it('scores at least 95 for performance, accessibility and best practices on the cap table', async () => {
  const signIn = await fetch(`${service.url}/console/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: service.url },
    body: JSON.stringify({ apiKey: ADMIN.key }),
  });
  expect(signIn.status).toBe(200);
  const cookie = signIn.headers
    .getSetCookie()
    .map((set) => set.split(';')[0])
    .join('; ');
  const result = await lighthouse(`${service.url}/console/`, {
    port: debuggingPort,
    output: 'json',
    logLevel: 'error',
    onlyCategories: ['performance', 'accessibility', 'best-practices'],
    extraHeaders: { Cookie: cookie },
  });
  const categories = result!.lhr.categories;
  const scores = Object.fromEntries(Object.entries(categories).map(([name, category]) => [name, Math.round((category.score ?? 0) * 100)]));
  console.log(
    `[lighthouse] cap table (${result!.lhr.configSettings.formFactor}, ${result!.lhr.configSettings.throttlingMethod} throttling): ${JSON.stringify(scores)}`,
  );
  const failing = Object.values(result!.lhr.audits)
    .filter((audit) => audit.score !== null && audit.score < 1 && audit.scoreDisplayMode === 'binary')
    .map((audit) => audit.id);
  const metrics = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index']
    .map((id) => `${id} ${result!.lhr.audits[id]?.displayValue ?? '?'}`)
    .join(', ');
  console.log(`[lighthouse] ${metrics}`);
  if (failing.length > 0) console.log(`[lighthouse] audits not passed: ${failing.join(', ')}`);
  expect(scores.performance).toBeGreaterThanOrEqual(95);
  expect(scores.accessibility).toBeGreaterThanOrEqual(95);
  expect(scores['best-practices']).toBeGreaterThanOrEqual(95);
}, 180_000);
