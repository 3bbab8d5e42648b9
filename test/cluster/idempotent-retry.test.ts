import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseShareClasses } from '../../src/config.js';
import { issueCertificate } from '../../src/client/issue-certificate.js';
import { auditTopic } from '../support/audit.js';
import { broker, skipsWithoutOwnBroker, uniqueTopic } from '../support/broker.js';
import { Cluster } from '../support/cluster.js';
import { ADMIN } from '../support/credentials.js';
import { HoldingProxy } from '../support/holding-proxy.js';
import { issue, issueWithKey, type Reply } from '../support/http.js';
import { until } from '../support/load.js';
import { readLog } from '../support/log.js';

const SHARE_CLASSES = 'CS=1000000,PS=1000000';
const proxied = broker().proxied;

describe('Idempotency-Key across three instances', () => {
  it.skipIf(skipsWithoutOwnBroker(import.meta.url))(
    'replays on every instance; and when the write lands but its answer is lost with its writer (kill -9), a retry on another instance gets that certificate',
    async () => {
      const started = Date.now();
      const topic = uniqueTopic('idempotent-retry');
      const proxy = new HoldingProxy(proxied!.proxyPort, { host: '127.0.0.1', port: Number(proxied!.listener.split(':')[1]) });
      await proxy.start();
      // Every instance reaches Kafka through the proxy; the writer's produce answers can be held.
      const cluster = await Cluster.start(3, {
        KAFKA_TOPIC: topic,
        SHARE_CLASSES,
        KAFKA_BROKERS: `127.0.0.1:${proxied!.proxyPort}`,
        WRITER_SESSION_TIMEOUT_MS: '6000',
        COMMIT_TIMEOUT_MS: '10000',
      });
      try {
        const writer = await cluster.settled();
        const [followerA, followerB] = [0, 1, 2].filter((slot) => slot !== writer).map((slot) => cluster.urls[slot]!);

        // A key first used on a follower is replayed by the writer and by the other follower.
        const key = randomUUID();
        const ask = { class: 'CS', amount: 5, name: 'Any Instance' };
        const first = await issueWithKey(followerA!, key, ask);
        expect(first.status).toBe(201);
        for (const url of [cluster.urls[writer]!, followerB!, followerA!]) {
          const replay = await issueWithKey(url, key, ask);
          expect([url, replay.status, replay.headers.get('idempotent-replayed'), replay.body]).toEqual([url, 201, 'true', first.body]);
        }

        // The lost answer: the write reaches Kafka, the writer never hears back, and dies.
        const lostKey = randomUUID();
        const lostAsk = { class: 'CS', amount: 7, name: 'Lost Answer' };
        proxy.hold('producers', 'answers');
        const lost: Promise<Reply | Error> = issueWithKey(cluster.urls[writer]!, lostKey, lostAsk).catch((error: Error) => error);
        let landed: string | undefined;
        await until(
          'the write to reach the log',
          async () => {
            landed = (await readLog(topic)).find((entry) => entry.record?.idempotencyKey === lostKey)?.record?.id;
            return landed !== undefined;
          },
          8000,
        );
        await cluster.kill(writer);
        const firstAttempt = await lost;
        expect(firstAttempt).toBeInstanceOf(Error);
        proxy.release();

        // The client retries with the same key on the other instances: it gets the certificate that landed, once.
        const retried = await issueCertificate(lostAsk, {
          baseUrl: [followerA!, followerB!],
          credentials: ADMIN.key,
          idempotencyKey: lostKey,
        });
        expect([retried.certificate.id, retried.replayed]).toEqual([landed, true]);
        expect(retried.certificate).toMatchObject(lostAsk);
        const newWriter = (await cluster.failover(writer, Date.now())).slot;
        const throughNewWriter = await issueWithKey(cluster.urls[newWriter]!, lostKey, lostAsk);
        expect([throughNewWriter.status, throughNewWriter.body]).toEqual([201, { ...retried.certificate, receipt: retried.receipt }]);

        const next = await issue(cluster.urls[newWriter]!, 'CS', 1, 'After The Loss');
        expect(next.body.number).toBe(retried.certificate.number + 1);
        const keyed = (await readLog(topic)).filter((entry) => entry.record?.idempotencyKey === lostKey);
        expect(keyed.map((entry) => entry.record!.id)).toEqual([landed]);
        const report = await auditTopic(topic, parseShareClasses(SHARE_CLASSES), [
          { id: first.body.id as string },
          { id: retried.certificate.id, name: lostAsk.name, amount: lostAsk.amount },
          { id: next.body.id as string },
        ]);
        expect(report.violations).toEqual([]);
        console.log(
          `[idempotent-retry] ${landed} landed, its answer held and its writer killed; the retry on another instance got it ` +
            `after ${retried.attempts} attempt(s), replayed; audit ok, in ${Math.round((Date.now() - started) / 1000)} s`,
        );
      } finally {
        proxy.release();
        await cluster.stop();
        await proxy.close();
      }
    },
    120_000,
  );
});
