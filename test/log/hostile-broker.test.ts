import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/log/kafka-config.js';
import type { KafkaSecurity } from '../../src/log/kafka-security.js';
import { BrokerConnection } from '../../src/log/wire/broker-connection.js';
import { MAX_ANSWER_BYTES } from '../../src/log/wire/frame.js';
import { metadataBody } from '../../src/log/wire/metadata.js';
import {
  apiVersionsBody,
  HostileBroker,
  saslAuthenticateBody,
  saslHandshakeBody,
  saslMessage,
  type Answer,
  type Request,
} from '../support/hostile-broker.js';

const SASL: KafkaSecurity = { sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' } };
const OPTIONS = { clientId: 'hostile-test', security: SASL, connectTimeoutMs: 2000, requestTimeoutMs: 5000 };
const brokers: HostileBroker[] = [];

afterEach(async () => {
  for (const broker of brokers.splice(0)) await broker.close();
});

async function hostile(answer: (request: Request) => Answer): Promise<{ broker: HostileBroker; address: string }> {
  const broker = new HostileBroker(answer);
  brokers.push(broker);
  return { broker, address: await broker.start() };
}

/** A broker, or someone in its place before TLS, that asks SCRAM for `iterations` rounds of PBKDF2. */
const scramAsking =
  (iterations: number) =>
  ({ apiKey, apiVersion, body }: Request): Answer => {
    if (apiKey === 18) return { body: apiVersionsBody(apiVersion) };
    if (apiKey === 17) return { body: saslHandshakeBody('SCRAM-SHA-512') };
    if (apiKey !== 36) return undefined;
    const nonce = /,r=([^,]+)/.exec(saslMessage(body))?.[1];
    return { body: saslAuthenticateBody(apiVersion, `r=${nonce}server,s=c2FsdA==,i=${iterations}`) };
  };

/** How long the call took, and the longest the event loop was held meanwhile. */
async function timed(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number; loopMaxMs: number }> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const started = performance.now();
  let error: unknown;
  await call().catch((caught: unknown) => (error = caught));
  const ms = performance.now() - started;
  loop.disable();
  return { error, ms, loopMaxMs: loop.max / 1e6 };
}

describe('a hostile broker asking SCRAM for 10,000,000 iterations (Kafka stores 4096 to 16384)', () => {
  it('is refused by the produce path (src/log/wire) at once, naming the count, without holding the event loop', async () => {
    const { broker, address } = await hostile(scramAsking(10_000_000));
    const [host, port] = address.split(':');
    const { error, ms, loopMaxMs } = await timed(() => BrokerConnection.open({ host: host!, port: Number(port) }, OPTIONS));
    expect(String(error)).toContain('expected the broker to ask for 4096 to 16384 iterations (what Kafka can store), got 10000000');
    expect(ms).toBeLessThan(1000);
    expect(loopMaxMs).toBeLessThan(200);
    // The client never answered the challenge: no proof left for the attacker to guess the password from.
    expect(broker.requests.filter((request) => request.apiKey === 36)).toHaveLength(1);
  });

  it('is refused by kafkajs (readers, admin, election) through the same exchange, not retried, without holding the event loop', async () => {
    const { broker, address } = await hostile(scramAsking(10_000_000));
    const admin = createKafka({ brokers: [address], security: SASL, debug: false }).admin();
    const { error, ms, loopMaxMs } = await timed(() => admin.connect());
    await admin.disconnect();
    expect(String(error)).toContain('got 10000000');
    expect(ms).toBeLessThan(1000);
    expect(loopMaxMs).toBeLessThan(200);
    expect(broker.requests.filter((request) => request.apiKey === 36)).toHaveLength(1);
  });

  it('is refused below 4096 too: a count that cheap makes the proof cheap to guess the password from', async () => {
    const { address } = await hostile(scramAsking(1));
    const [host, port] = address.split(':');
    await expect(BrokerConnection.open({ host: host!, port: Number(port) }, OPTIONS)).rejects.toThrow('got 1');
  });
});

describe('a hostile broker claiming a 2 GiB answer', () => {
  const twoGiB = (request: Request): Answer => {
    const head = Buffer.alloc(8);
    head.writeInt32BE(0x7fffffff, 0);
    head.writeInt32BE(request.correlationId, 4);
    return { raw: head };
  };

  it(`fails the produce path's connection at the size prefix (at most ${MAX_ANSWER_BYTES} bytes), not at a timeout`, async () => {
    const { address } = await hostile(twoGiB);
    const [host, port] = address.split(':');
    const connection = await BrokerConnection.open({ host: host!, port: Number(port) }, { ...OPTIONS, security: {} });
    const { error, ms } = await timed(() => connection.request(3, 4, metadataBody('certificates')));
    expect(String(error)).toContain('sent an answer of 2147483647 bytes; expected 4 to 1048576 bytes');
    expect(ms).toBeLessThan(1000);
    expect(connection.usable).toBe(false);
  });

  it('fails kafkajs connections at the size prefix too (at most 64 MiB), not after its request timeout', async () => {
    const { broker, address } = await hostile(twoGiB);
    const admin = createKafka({ brokers: [address], security: {}, debug: false }).admin();
    const { error, ms } = await timed(() => admin.connect());
    await admin.disconnect();
    expect(String(error)).toContain('sent an answer of 2147483647 bytes; expected 0 to 67108864 bytes');
    // Three attempts (the service's retries), each ended at the prefix: far under one 5 s request timeout.
    expect(ms).toBeLessThan(4000);
    expect(broker.requests).toHaveLength(3);
  });
});
