import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/log/kafka-config.js';
import { authorizedFetch } from '../support/credentials.js';
import { uniqueTopic } from '../support/broker.js';
import { startService, type RunningService } from '../support/service.js';
import { connection } from '../support/settings.js';

// kafkajs is CommonJS; Node's ESM loader finds only some of its named exports.
const { ConfigResourceTypes } = kafkajs;

const admin = createKafka(connection(), 'test-topic-settings').admin();
const running: RunningService[] = [];

beforeAll(() => admin.connect());
afterAll(async () => {
  await Promise.all(running.map((service) => service.stop('SIGKILL')));
  await admin.disconnect();
});

async function flushMessages(topic: string): Promise<string | undefined> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['flush.messages'] }],
  });
  return resources[0]?.configEntries[0]?.configValue;
}

async function readiness(service: RunningService): Promise<{ http: number; topicWarnings?: string[] }> {
  const response = await authorizedFetch(`${service.url}/readyz`);
  const body = (await response.json()) as { topicWarnings?: string[] };
  return { http: response.status, topicWarnings: body.topicWarnings };
}

describe('the topic settings the service is started with (a real process, a real broker)', () => {
  it('KAFKA_FLUSH_EVERY_WRITE=1 creates the topic with flush.messages=1, and /readyz has nothing to warn of', async () => {
    const topic = uniqueTopic('fsync');
    const service = await startService({ KAFKA_TOPIC: topic, KAFKA_FLUSH_EVERY_WRITE: '1' });
    running.push(service);
    expect(await flushMessages(topic)).toBe('1');
    expect(await readiness(service)).toEqual({ http: 200, topicWarnings: [] });
  });

  it('on an existing topic weaker than configured, warns at start and in every /readyz, and still serves', async () => {
    const topic = uniqueTopic('weaker');
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '604800000' }] }],
    });
    const service = await startService({ KAFKA_TOPIC: topic, KAFKA_FLUSH_EVERY_WRITE: '1' });
    running.push(service);
    const warned = service
      .output()
      .split('\n')
      .filter((line) => line.includes('"level":"warn"') && line.includes(topic));
    expect(warned).toEqual([
      expect.stringContaining('flush.messages=9223372036854775807: KAFKA_FLUSH_EVERY_WRITE=1 asks an fsync of every write'),
      expect.stringContaining('retention.ms=604800000'),
    ]);
    expect(await readiness(service)).toEqual({
      http: 200,
      topicWarnings: [expect.stringContaining('flush.messages'), expect.stringContaining('retention.ms')],
    });
    // The service does not change a topic it did not create.
    expect(await flushMessages(topic)).toBe('9223372036854775807');
  });

  it("KAFKAJS_DEBUG prints kafkajs's own log lines, and without it the service prints none", async () => {
    const quiet = await startService({ KAFKA_TOPIC: uniqueTopic('quiet') });
    const debug = await startService({ KAFKA_TOPIC: uniqueTopic('debug'), KAFKAJS_DEBUG: '1' });
    running.push(quiet, debug);
    expect(debug.output()).toMatch(/\{"kafkajs":"[A-Za-z]+","level":"DEBUG"/);
    expect(quiet.output()).not.toContain('"kafkajs":');
  });
});
