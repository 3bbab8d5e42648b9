import { afterEach, describe, expect, it } from 'vitest';
import { uniqueTopic } from '../support/broker.js';
import { concurrently, issue } from '../support/http.js';
import { readCertificates } from '../support/log.js';
import { startService, type RunningService } from '../support/service.js';

const running: RunningService[] = [];

async function start(topic: string): Promise<RunningService> {
  const service = await startService({ KAFKA_TOPIC: topic, SHARE_CLASSES: 'CS=1000000,PS=1000000' });
  running.push(service);
  return service;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop('SIGKILL')));
});

describe('the service process recovers its counters from the topic', () => {
  it('continues at N+1 per class after a graceful restart', async () => {
    const topic = uniqueTopic('restart');
    const first = await start(topic);
    await concurrently(60, 10, (index) => issue(first.url, index % 3 === 0 ? 'PS' : 'CS', 2));
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = await start(topic);
    expect((await issue(second.url, 'CS', 1)).body).toMatchObject({ id: 'CS-41', sharesIssued: 81 });
    expect((await issue(second.url, 'PS', 1)).body).toMatchObject({ id: 'PS-21', sharesIssued: 41 });
  });

  it('continues at N+1 after kill -9 in the middle of concurrent load, with every acknowledged certificate in the log', async () => {
    const topic = uniqueTopic('kill9');
    const first = await start(topic);
    const acknowledged: string[] = [];
    let killed = false;
    const load = concurrently(100_000, 20, async () => {
      if (killed) return;
      const reply = await issue(first.url, 'CS', 1).catch(() => undefined);
      if (reply?.status === 201) acknowledged.push(reply.body.id as string);
    });
    while (acknowledged.length < 500) await new Promise((resolve) => setTimeout(resolve, 20));
    killed = true;
    await first.stop('SIGKILL');
    await load;

    const inLog = new Set(
      (
        await readCertificates(topic, [
          { code: 'CS', authorized: 1000000 },
          { code: 'PS', authorized: 1000000 },
        ])
      ).map((certificate) => certificate.id),
    );
    expect(acknowledged.filter((id) => !inLog.has(id))).toEqual([]);

    const second = await start(topic);
    const next = await issue(second.url, 'CS', 1);
    const lastAcknowledged = Math.max(...acknowledged.map((id) => Number(id.slice(3))));
    // Certificates committed but not yet acknowledged when the process died are in the log too.
    expect(next.body.number as number).toBeGreaterThan(lastAcknowledged);
    expect(next.body.sharesIssued).toBe(next.body.number);
  });
});
