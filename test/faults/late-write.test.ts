import { describe, expect, it } from 'vitest';
import type { Acknowledged } from '../../src/audit/check.js';
import { startApp } from '../support/app.js';
import { auditTopic } from '../support/audit.js';
import { broker, skipsWithoutOwnBroker, uniqueTopic } from '../support/broker.js';
import { acknowledgedTwice, lookupMismatches } from '../support/cluster.js';
import { HoldingProxy } from '../support/holding-proxy.js';
import { issue, type Reply } from '../support/http.js';
import { sleep, until } from '../support/load.js';
import { misplacedEntries, readCertificates, readLog, statedOffset } from '../support/log.js';

const CLASSES = [
  { code: 'CS', authorized: 1_000_000 },
  { code: 'PS', authorized: 1_000_000 },
];
const proxied = broker().proxied;

describe('a write delivered late, past the client timeout, after the service wrote more', () => {
  it.skipIf(skipsWithoutOwnBroker(import.meta.url))(
    'lands void, and nothing acknowledged is lost, repeated or numbered twice',
    async () => {
      const started = Date.now();
      const proxy = new HoldingProxy(proxied!.proxyPort, { host: '127.0.0.1', port: Number(proxied!.listener.split(':')[1]) });
      await proxy.start();
      const topic = uniqueTopic('late-write');
      // Every connection of the service goes through the proxy: the broker advertises the proxy on this listener.
      let app = await startApp(topic, CLASSES, {
        kafka: { brokers: [`127.0.0.1:${proxied!.proxyPort}`] },
        issuing: { commitTimeoutMs: 1500 },
      });
      const acknowledged: Acknowledged[] = [];
      const statuses: Record<string, number> = {};
      let sent = 0;
      const send = async (shareClass: string): Promise<Reply | undefined> => {
        const index = sent++;
        const reply = await issue(app.url, shareClass, 1 + (index % 7), `Holder ${index}`, AbortSignal.timeout(30_000)).catch(
          () => undefined,
        );
        const label =
          reply === undefined
            ? 'failed'
            : `${reply.status}${reply.status === 201 ? '' : ` ${(reply.body.error as { code: string }).code}`}`;
        statuses[label] = (statuses[label] ?? 0) + 1;
        if (reply?.status === 201)
          acknowledged.push({ id: reply.body.id as string, name: reply.body.name as string, amount: reply.body.amount as number });
        return reply;
      };
      try {
        for (let index = 0; index < 20; index++) expect((await send(index % 2 ? 'PS' : 'CS'))?.status).toBe(201);

        // The next write goes out on a producer connection that now holds its bytes: its requests time out.
        proxy.hold('producers');
        const stranded = await Promise.all(Array.from({ length: 6 }, (_, index) => send(index % 2 ? 'PS' : 'CS')));
        expect(stranded.map((reply) => reply?.status)).toEqual(Array(6).fill(503));
        expect(proxy.heldBytes).toBeGreaterThan(0);

        // The service gives up on those connections, reads the log on new ones and issues again.
        const beforeResume = acknowledged.length;
        await until(
          'writes to resume on fresh connections',
          async () => (await send('CS'))?.status === 201 && acknowledged.length > beforeResume,
          60_000,
        );
        for (let index = 0; index < 4; index++) await send(index % 2 ? 'PS' : 'CS');

        // Now the held produce request reaches the broker, long after its writer gave up on it.
        proxy.release();
        await sleep(3000);
        for (let index = 0; index < 10; index++) expect((await send(index % 2 ? 'PS' : 'CS'))?.status).toBe(201);

        const log = await readLog(topic);
        // The late write lands away from where it stated, its records and its seal alike.
        const misplaced = misplacedEntries(log);
        expect(misplaced.length).toBeGreaterThan(0);
        expect(acknowledgedTwice(acknowledged)).toEqual([]);
        const report = await auditTopic(topic, CLASSES, acknowledged);
        expect(report.violations).toEqual([]);
        expect(report.voidRecords.total).toBe(misplaced.length);
        expect(await lookupMismatches([app.url], acknowledged)).toEqual([]);
        const certificates = await readCertificates(topic, CLASSES);
        for (const { code } of CLASSES) {
          const numbers = certificates.filter((certificate) => certificate.class === code).map((certificate) => certificate.number);
          expect(numbers).toEqual(numbers.map((_, index) => index + 1));
        }

        // The service restarts cleanly on the topic and goes on from the last certificate.
        await app.close();
        app = await startApp(topic, CLASSES);
        const lastCs = certificates.filter((certificate) => certificate.class === 'CS').length;
        expect((await issue(app.url, 'CS', 1)).body.id).toBe(`CS-${lastCs + 1}`);
        console.log(
          `[late-write] ${proxy.heldBytes} bytes held; ${sent} requests ${JSON.stringify(statuses)}; ` +
            `${misplaced.length} void records (the late batch, offsets ${misplaced.map((entry) => `${entry.offset}≠${statedOffset(entry)}`).join(', ')}); ` +
            `${acknowledged.length} acknowledged, audit ok, restart clean, in ${Math.round((Date.now() - started) / 1000)} s`,
        );
      } finally {
        proxy.release();
        await app.close();
        await proxy.close();
      }
    },
  );
});
