import { describe, expect, it } from 'vitest';
import type { Acknowledged } from '../../src/audit/check.js';
import { parseShareClasses } from '../../src/config.js';
import { auditTopic } from '../support/audit.js';
import { uniqueTopic } from '../support/broker.js';
import { Load, sleep, until } from '../support/load.js';
import { postHead, rawRequest } from '../support/raw.js';
import { startService } from '../support/service.js';

const SHARE_CLASSES = 'CS=1000000000,PS=1000000000';
/** Time for a sent request to reach the server's parser, even on a busy 2-core machine. */
const TAKEN_MARGIN_MS = 300;
const MID_BODY = 6;

describe.each(['SIGTERM', 'SIGINT'] as const)('graceful stop on %s under load', (signal) => {
  it('answers every request already taken, refuses new connections, exits 0 and loses nothing acknowledged', async () => {
    const topic = uniqueTopic(`stop-${signal.toLowerCase()}`);
    const service = await startService({ KAFKA_TOPIC: topic, SHARE_CLASSES });
    const load = new Load(() => service.url, { concurrency: 32, classes: ['CS', 'PS'] }).start();
    await until('load to be acknowledged', () => load.acknowledged.length > 200);

    // Requests whose bodies are half sent when the signal comes: taken, so they must be issued.
    const midBody = Array.from({ length: MID_BODY }, (_, index) => {
      const body = JSON.stringify({ name: `Mid-body at shutdown ${index}`, amount: 7, class: index % 2 ? 'PS' : 'CS' });
      const split = 1 + index * 7;
      return rawRequest(service.port, [postHead(Buffer.byteLength(body)), body.slice(0, split), { pauseMs: 2500 }, body.slice(split)]);
    });
    await sleep(1000);
    const signalledAt = Date.now();
    const exitCode = await service.stop(signal);
    const stoppedAfterMs = Date.now() - signalledAt;
    const midBodyReplies = await Promise.all(midBody);
    await load.stop();

    expect(exitCode).toBe(0);
    expect(midBodyReplies.filter((reply) => reply.status !== 201)).toEqual([]);
    for (const reply of midBodyReplies) load.acknowledged.push(JSON.parse(reply.body) as Acknowledged);
    // Every answer is a certificate: requests taken before the stop are still issued, not refused.
    expect(load.outcomes.filter((outcome) => outcome.status !== undefined && outcome.status !== 201)).toEqual([]);
    // A request sent well before the signal was read by the server, so it must have been answered.
    // (One sent just as an idle keep-alive connection is closed was never taken: HTTP's own race.)
    const taken = load.outcomes.filter((outcome) => outcome.startedAt < signalledAt - TAKEN_MARGIN_MS);
    expect(taken.filter((outcome) => outcome.status === undefined)).toEqual([]);
    // After the stop nobody is served: every later request fails to connect or is cut before being read.
    expect(load.outcomes.filter((outcome) => outcome.startedAt > signalledAt + stoppedAfterMs && outcome.status !== undefined)).toEqual([]);

    const report = await auditTopic(topic, parseShareClasses(SHARE_CLASSES), load.acknowledged);
    expect(report.violations).toEqual([]);
    console.log(
      `[stop ${signal}] exit ${exitCode} ${stoppedAfterMs} ms after the signal, ${load.outcomes.length} requests (${JSON.stringify(load.tally())}), ` +
        `${MID_BODY} mid-body requests issued, ${load.acknowledged.length} acknowledged, audit ok`,
    );
  });
});
