import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKafka } from '../../src/log/kafka-config.js';
import type { KafkaSecurity } from '../../src/log/kafka-security.js';
import { skipsWithoutOwnBroker, uniqueTopic } from '../support/broker.js';
import { brokerScript, LOCAL_TEST_PORT } from '../support/broker-info.js';
import { authorizedFetch } from '../support/credentials.js';
import { issue } from '../support/http.js';
import { startService } from '../support/service.js';
import { SIGNING_FILE } from '../support/signing.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A broker of its own with the authorizer on: its plaintext port is the admin's (a super user), SASL users get only their ACLs. */
const PORT = LOCAL_TEST_PORT + 300;
const ADMIN = `127.0.0.1:${PORT}`;
const SASL = `127.0.0.1:${PORT + 2}`;
const USERS = { service: 'certificates', audit: 'certificates-audit', stranger: 'mallory' } as const;
const password = (user: string): string => `${user}-secret`;

const dir = mkdtempSync(join(tmpdir(), 'kafka-acls-'));
const env = {
  ...process.env,
  KAFKA_PORT: String(PORT),
  KAFKA_DATA_DIR: join(dir, 'broker'),
  KAFKA_EXTRA_LISTENERS: `SASL_PLAINTEXT://${SASL}`,
  KAFKA_EXTRA_CONFIG: join(dir, 'acls.properties'),
  KAFKA_FORMAT_ARGS: Object.values(USERS)
    .map((user) => `--add-scram SCRAM-SHA-512=[name=${user},password=${password(user)}]`)
    .join(' '),
};

/** The service's settings for a user: SASL without TLS, allowed here (the test is about ACLs, on loopback). */
const settingsOf = (user: string, topic: string): Record<string, string> => ({
  KAFKA_BROKERS: SASL,
  KAFKA_TOPIC: topic,
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: user,
  KAFKA_SASL_PASSWORD: password(user),
  KAFKA_SASL_ALLOW_PLAINTEXT: '1',
});
const securityOf = (user: string): KafkaSecurity => ({ sasl: { mechanism: 'scram-sha-512', username: user, password: password(user) } });

/** The `kafka-acls.sh` lines of docs/operations.md's "Kafka ACLs", continuation lines joined, without the variables' example values. */
function documentedAclCommands(): string[] {
  const operations = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
  const section = operations.slice(operations.indexOf('### Kafka ACLs'));
  const block = /```bash\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.startsWith('kafka-acls.sh '));
}

/** Runs a documented line as an admin would, with kafka-acls.sh being Kafka's AclCommand from the jars scripts/kafka runs. */
async function asAdmin(line: string, topic: string): Promise<void> {
  const bin = join(dir, 'bin');
  await run('sh', ['-c', `mkdir -p '${bin}'`]);
  const shim = join(bin, 'kafka-acls.sh');
  writeFileSync(shim, `#!/bin/sh\nexec java -cp '${join(ROOT, '.kafka/libs')}/*' org.apache.kafka.tools.AclCommand "$@"\n`);
  chmodSync(shim, 0o755);
  writeFileSync(join(dir, 'admin.properties'), '');
  await run('sh', ['-c', line], {
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      BOOTSTRAP: ADMIN,
      ADMIN_CONFIG: join(dir, 'admin.properties'),
      TOPIC: topic,
      SERVICE: `User:${USERS.service}`,
      AUDIT: `User:${USERS.audit}`,
    },
  });
}

/** kafkajs's debug log (KAFKAJS_DEBUG's, on stderr), kept here while the suite runs. */
const said: string[] = [];

/**
 * Whether `user` can join `group` on `topic`: undefined when it can, else why not, with the
 * authorization errors kafkajs met on the way (it reports a refused FindCoordinator only as "Failed
 * to find group coordinator", its cause in its debug log).
 */
async function joinRefusal(user: string, topic: string, group: string): Promise<string | undefined> {
  const from = said.length;
  const consumer = createKafka({ brokers: [SASL], security: securityOf(user), debug: true }).consumer({
    groupId: group,
    retry: { retries: 0, restartOnFailure: async () => false },
  });
  let running: Promise<void> | undefined;
  const refusal = async (): Promise<string | undefined> => {
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      return await new Promise<string | undefined>((resolve) => {
        consumer.on(consumer.events.GROUP_JOIN, () => resolve(undefined));
        consumer.on(consumer.events.CRASH, ({ payload }) => resolve(payload.error.message));
        running = consumer.run({ eachMessage: async () => undefined }).catch((error: Error) => resolve(error.message));
      });
    } catch (error) {
      return (error as Error).message;
    }
  };
  try {
    const refused = await refusal();
    // kafkajs does not stop a consumer told to disconnect while it is still starting.
    await running;
    const causes = new Set(said.slice(from).flatMap((line) => line.match(/[A-Z_]+_AUTHORIZATION_FAILED/g) ?? []));
    return refused === undefined ? undefined : `${refused} (${[...causes].join(', ')})`;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/** Whether `user` can write one record to `topic`: undefined when it can, else why not. */
async function produceRefusal(user: string, topic: string): Promise<string | undefined> {
  const producer = createKafka({ brokers: [SASL], security: securityOf(user), debug: false }).producer({ retry: { retries: 0 } });
  try {
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'CS', value: '{"forged":true}' }] });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

describe.skipIf(skipsWithoutOwnBroker(import.meta.url))('the Kafka ACLs docs/operations.md lists (StandardAuthorizer, SCRAM users)', () => {
  const topic = uniqueTopic('acls');

  beforeAll(async () => {
    const jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
    writeFileSync(
      env.KAFKA_EXTRA_CONFIG,
      [
        'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        // The plaintext listener (the controller's, the broker's own, the script's probe and the admin here) is the super user.
        'super.users=User:ANONYMOUS',
        'sasl.enabled.mechanisms=SCRAM-SHA-512',
        `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${jaas}`,
        '',
      ].join('\n'),
    );
    await run(brokerScript, ['start'], { env });
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void said.push(String(line)));
    for (const line of documentedAclCommands()) await asAdmin(line, topic);
  }, 240_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    await run(brokerScript, ['stop'], { env });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('lets the service do all it does with them alone: create the topic, check it, elect itself writer, issue and read', async () => {
    expect(documentedAclCommands()).toHaveLength(5);
    const service = await startService(settingsOf(USERS.service, topic));
    try {
      for (let i = 0; i < 3; i++) expect((await issue(service.url, 'CS', 2)).status).toBe(201);
      expect((await authorizedFetch(`${service.url}/certificates/CS-3`)).status).toBe(200);
    } finally {
      expect(await service.stop()).toBe(0);
    }
    expect(service.output()).not.toMatch(/authoriz/i);
  }, 120_000);

  it("lets the audit's principal read the topic clean, and refuses it a write and the writer group", async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/audit/cli.ts'], {
      // The audit judges seals with the keys the service signed with.
      env: { ...process.env, ...settingsOf(USERS.audit, topic), SIGNING_KEY_FILE: SIGNING_FILE },
    });
    expect(stdout).toMatch(/^CS\s+3\s+6\s/m);
    expect(await produceRefusal(USERS.audit, topic)).toMatch(/not authorized/i);
    expect(await joinRefusal(USERS.audit, topic, `${topic}.writer`)).toMatch(/\(GROUP_AUTHORIZATION_FAILED\)$/);
  }, 60_000);

  it('refuses a principal without ACLs the topic and the writer group, while the service principal may join it', async () => {
    expect(await produceRefusal(USERS.stranger, topic)).toMatch(/not authorized/i);
    expect(await joinRefusal(USERS.stranger, topic, `${topic}.writer`)).toMatch(/^Not authorized to access topics/);
    expect(await joinRefusal(USERS.service, topic, `${topic}.writer`)).toBeUndefined();
  }, 60_000);
});
