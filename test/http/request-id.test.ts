import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRequestId } from '../../src/core/provenance.js';
import { nextRequestId } from '../../src/http/request-id.js';
import { startApp, type TestApp } from '../support/app.js';
import { uniqueTopic } from '../support/broker.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

describe('Request-Id', () => {
  let app: TestApp;
  const logged: string[] = [];
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
    app = await startApp(uniqueTopic('request-id'), [{ code: 'CS', authorized: 100 }], {}, { logger, logSample: 1 });
  });
  afterAll(async () => {
    await app.close();
  });

  it('is on every answer, a success, a 404 and a refused POST alike, each its own, never the client’s', async () => {
    const answers = [
      await fetch(`${app.url}/healthz`),
      await fetch(`${app.url}/no-such-thing`, { headers: { 'x-request-id': 'client-chosen' } }),
      // Without credentials: refused before it is read.
      await fetch(`${app.url}/certificates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'request-id': 'client-chosen' },
        body: JSON.stringify({ name: 'Ada', amount: 1, class: 'CS' }),
      }),
    ];
    expect(answers.map(({ status }) => status)).toEqual([200, 404, 401]);
    const ids = answers.map(({ headers }) => headers.get('request-id'));
    for (const id of ids) expect(isRequestId(id)).toBe(true);
    expect(new Set(ids).size).toBe(3);
    expect(ids).not.toContain('client-chosen');
    // The request log names each request by the id its client was answered with.
    for (const id of ids) expect(logged.some((line) => line.includes(`"requestId":"${id}"`))).toBe(true);
  });

  it('is unique across processes: each process start has its own tag, then a counter', async () => {
    const [a, b] = [nextRequestId(), nextRequestId()];
    expect(a.split('-')[0]).toBe(b.split('-')[0]);
    expect(a).not.toBe(b);
    const script = "import('./src/http/request-id.ts').then((m) => console.log(m.nextRequestId()))";
    const other = await Promise.all([1, 2].map(() => run(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT })));
    const tags = new Set([a, ...other.map(({ stdout }) => stdout.trim())].map((id) => id.split('-')[0]));
    expect(tags.size).toBe(3);
  });
});
