import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/log/kafka-config.js';
import { kafkajsRequestQueue, quietIdleRequestQueues } from '../../src/log/kafkajs-request-queue.js';
import { connection } from '../support/settings.js';

const RequestQueue = kafkajsRequestQueue();
const shipped = RequestQueue.prototype.scheduleCheckPendingRequests;
const check = RequestQueue.prototype.checkPendingRequests;

afterEach(() => {
  RequestQueue.prototype.checkPendingRequests = check;
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How many times kafkajs's request queues check their pending requests while `during` runs. */
async function checksDuring(during: () => Promise<void>): Promise<number> {
  let checks = 0;
  RequestQueue.prototype.checkPendingRequests = function counted(this: unknown) {
    checks += 1;
    check.call(this);
  };
  await during();
  return checks;
}

/** How many checks an admin client's idle connection makes in the 500 ms after one answer. */
async function idleChecks(admin: Admin): Promise<number> {
  await admin.connect();
  try {
    await admin.listTopics();
    return await checksDuring(() => sleep(500));
  } finally {
    await admin.disconnect();
  }
}

describe("kafkajs's request queue (real broker)", () => {
  it('as kafkajs 2.2.4 ships it, an idle connection checks its empty queue about every millisecond', async () => {
    RequestQueue.prototype.scheduleCheckPendingRequests = shipped;
    const plain = new Kafka({ clientId: 'request-queue-shipped', brokers: [...connection().brokers], logLevel: logLevel.NOTHING });
    // About 500 on an idle machine; 50 leaves room for a starved worker.
    expect(await idleChecks(plain.admin())).toBeGreaterThan(50);
  });

  it('quieted, an idle connection of a client from createKafka does not check its queue at all', async () => {
    expect(await idleChecks(createKafka(connection(), 'request-queue-test').admin())).toBe(0);
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).not.toBe(shipped);
  });
});

describe('the quieted request queue still sends what it holds back (in memory)', () => {
  const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  type Queue = InstanceType<typeof RequestQueue> & {
    push(request: { entry: object; expectResponse: boolean; sendRequest: () => void }): void;
    fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
    maybeThrottle(ms: number): void;
    destroy(): void;
  };

  function queue(maxInFlightRequests: number): { queue: Queue; sent: number[]; push(correlationId: number): void } {
    quietIdleRequestQueues();
    const made = new (RequestQueue as unknown as new (options: object) => Queue)({
      maxInFlightRequests,
      requestTimeout: 10_000,
      enforceRequestTimeout: false,
      clientId: 'request-queue-test',
      broker: 'in-memory',
      logger,
    });
    const sent: number[] = [];
    return {
      queue: made,
      sent,
      push(correlationId) {
        const entry = { correlationId, apiKey: 3, apiName: 'Metadata', apiVersion: 0, resolve: () => undefined, reject: () => undefined };
        made.push({ entry, expectResponse: true, sendRequest: () => sent.push(correlationId) });
      },
    };
  }

  it('sends a request held back by the in-flight limit as soon as the one in flight is answered', () => {
    const { queue: held, sent, push } = queue(1);
    push(1);
    push(2);
    expect(sent).toEqual([1]);
    held.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
    held.destroy();
  });

  it('sends requests queued while the broker throttles the client once the throttle ends, and not before', async () => {
    const { queue: throttled, sent, push } = queue(10);
    throttled.maybeThrottle(100);
    const queuedAt = Date.now();
    push(1);
    push(2);
    expect(sent).toEqual([]);
    while (sent.length < 2 && Date.now() - queuedAt < 2000) await sleep(5);
    expect(sent).toEqual([1, 2]);
    expect(Date.now() - queuedAt).toBeGreaterThanOrEqual(95);
    throttled.destroy();
  });
});
