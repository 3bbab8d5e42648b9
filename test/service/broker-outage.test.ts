import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipsWithoutOwnBroker, startBroker, stopBroker, uniqueTopic } from '../support/broker.js';
import { startApp, type TestApp } from '../support/app.js';
import { issue } from '../support/http.js';

describe.skipIf(skipsWithoutOwnBroker(import.meta.url))('when the broker goes away', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp(uniqueTopic('outage'), [{ code: 'CS', authorized: 1_000_000 }]);
    expect((await issue(app.url, 'CS', 1)).body.id).toBe('CS-1');
  });

  afterAll(async () => {
    await startBroker();
    await app.close();
  });

  it('answers 503 log_unavailable with Retry-After within seconds, and consumes no number', async () => {
    await stopBroker();
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = Date.now();
      const reply = await issue(app.url, 'CS', 1);
      expect(reply.status).toBe(503);
      expect(reply.headers.get('retry-after')).toBe('1');
      expect((reply.body.error as { code: string; message: string }).code).toBe('log_unavailable');
      expect(Date.now() - started).toBeLessThan(8000);
    }
  });

  it('serves again by itself once the broker is back, at the next number', async () => {
    await startBroker();
    let reply = await issue(app.url, 'CS', 1);
    const deadline = Date.now() + 30_000;
    while (reply.status === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      reply = await issue(app.url, 'CS', 1);
    }
    expect(reply.status).toBe(201);
    expect(reply.body.id).toBe('CS-2');
    const committed = await app.committed();
    expect(committed.map((certificate) => certificate.id)).toEqual(['CS-1', 'CS-2']);
  });
});
