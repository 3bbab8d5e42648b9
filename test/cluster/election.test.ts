import { afterEach, describe, expect, it } from 'vitest';
import { uniqueTopic } from '../support/broker.js';
import { instanceStatus } from '../support/cluster.js';
import { issue } from '../support/http.js';
import { until } from '../support/load.js';
import { startService, type RunningService } from '../support/service.js';

const running: RunningService[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop('SIGKILL')));
});

describe('a lone instance', () => {
  it('elects itself writer within a second of listening, and issues at once', async () => {
    const service = await startService({ KAFKA_TOPIC: uniqueTopic('lone'), SHARE_CLASSES: 'CS=100' });
    running.push(service);
    const listening = Date.now();
    await until('the lone instance to become writer', async () => (await instanceStatus(service.url)).role === 'writer', 5000);
    const elected = Date.now() - listening;
    console.log(`[lone] writer ${elected} ms after listening`);
    expect(elected).toBeLessThan(1000);
    expect(await instanceStatus(service.url)).toMatchObject({ ready: true, role: 'writer', writerUrl: service.internalUrl });
    expect((await issue(service.url, 'CS', 1)).body).toMatchObject({ id: 'CS-1' });
    expect(service.output()).toMatch(/"role":"writer".*"msg":"role: writer"/);
  });
});
