import { describe, expect, it } from 'vitest';
import type { Acknowledged } from '../../src/audit/check.js';
import { startApp } from '../support/app.js';
import { auditTopic } from '../support/audit.js';
import { broker, skipsWithoutOwnBroker, uniqueTopic } from '../support/broker.js';
import { HoldingProxy } from '../support/holding-proxy.js';
import { issue, type Reply } from '../support/http.js';
import { readCertificates } from '../support/log.js';

const CLASSES = [{ code: 'CS', authorized: 1_000_000 }];
const MAILBOX_LIMIT = 50;
const proxied = broker().proxied;

describe('a full mailbox while the log is held', () => {
  it.skipIf(skipsWithoutOwnBroker(import.meta.url))(
    'answers 503 overloaded with Retry-After past MAILBOX_LIMIT, without growing or consuming a number, then recovers with a clean audit',
    async () => {
      const proxy = new HoldingProxy(proxied!.proxyPort, { host: '127.0.0.1', port: Number(proxied!.listener.split(':')[1]) });
      await proxy.start();
      const topic = uniqueTopic('overload');
      const app = await startApp(topic, CLASSES, {
        kafka: { brokers: [`127.0.0.1:${proxied!.proxyPort}`] },
        issuing: { commitTimeoutMs: 30_000, mailboxLimit: MAILBOX_LIMIT },
      });
      const acknowledged: Acknowledged[] = [];
      const send = async (index: number): Promise<Reply> => {
        const reply = await issue(app.url, 'CS', 1 + (index % 7), `Holder ${index}`, AbortSignal.timeout(40_000));
        if (reply.status === 201)
          acknowledged.push({ id: reply.body.id as string, name: reply.body.name as string, amount: reply.body.amount as number });
        return reply;
      };
      const depth = (): number => app.sequencers.snapshots()[0]!.mailboxDepth;
      try {
        for (let index = 0; index < 10; index++) expect((await send(index)).status).toBe(201);

        // The next commit goes out on the held producer connection and hangs there; what comes after waits.
        proxy.hold('producers');
        const stuck = send(10);
        await expect.poll(() => proxy.heldBytes, { timeout: 10_000 }).toBeGreaterThan(0);
        const flood = Array.from({ length: 200 }, (_, index) => send(11 + index));
        await expect.poll(depth, { timeout: 10_000 }).toBe(MAILBOX_LIMIT);
        const refusals = await Promise.all(
          flood.map((reply) => Promise.race([reply, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000))])),
        );
        const refused = refusals.filter((reply): reply is Reply => reply !== undefined);
        // Exactly the requests past the bound were answered, at once, while the log is still held.
        expect(refused).toHaveLength(200 - MAILBOX_LIMIT);
        for (const reply of refused) {
          expect(reply.status).toBe(503);
          expect(reply.headers.get('retry-after')).toBe('1');
          expect(reply.body.error).toMatchObject({ code: 'overloaded', message: expect.stringContaining('MAILBOX_LIMIT') });
        }
        expect(depth()).toBe(MAILBOX_LIMIT);

        proxy.release();
        const [first, ...waited] = await Promise.all([stuck, ...flood]);
        expect(first!.status).toBe(201);
        expect(waited.filter((reply) => reply.status === 201)).toHaveLength(MAILBOX_LIMIT);
        expect(depth()).toBe(0);
        // And it takes requests as before.
        for (let index = 0; index < 5; index++) expect((await send(1000 + index)).status).toBe(201);

        expect(acknowledged).toHaveLength(10 + 1 + MAILBOX_LIMIT + 5);
        const report = await auditTopic(topic, CLASSES, acknowledged);
        expect(report.violations).toEqual([]);
        // The refusals consumed no number: the certificates are numbered 1..n without a gap.
        const numbers = (await readCertificates(topic, CLASSES)).map((certificate) => certificate.number);
        expect(numbers).toEqual(acknowledged.map((_, index) => index + 1));
      } finally {
        proxy.release();
        await app.close();
        await proxy.close();
      }
    },
    90_000,
  );
});
