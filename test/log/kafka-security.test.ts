import { execFile, execFileSync } from 'node:child_process';
import { encodeRecords } from '../../src/core/record-format.js';
import { topicSettings } from '../support/settings.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKafkaSecurity } from '../../src/config.js';
import { KafkaLedger } from '../../src/log/kafka-ledger.js';
import { skipsWithoutOwnBroker, uniqueTopic } from '../support/broker.js';
import { brokerScript, LOCAL_TEST_PORT } from '../support/broker-info.js';
import { certificates } from '../support/certificates.js';
import { issue } from '../support/http.js';
import { startService } from '../support/service.js';
import { SIGNING_FILE } from '../support/signing.js';

const run = promisify(execFile);
/** A broker of its own with a TLS listener, a SASL-over-TLS one and a SASL one without TLS, beside its plaintext port. */
const PORT = LOCAL_TEST_PORT + 200;
const TLS = `127.0.0.1:${PORT + 2}`;
const SASL_SSL = `127.0.0.1:${PORT + 3}`;
const SASL_PLAINTEXT = `127.0.0.1:${PORT + 4}`;
const USER = 'alice';
const PASSWORD = 'alice-secret';

const dir = mkdtempSync(join(tmpdir(), 'kafka-tls-'));
const env = {
  ...process.env,
  KAFKA_PORT: String(PORT),
  KAFKA_DATA_DIR: join(dir, 'broker'),
  KAFKA_EXTRA_LISTENERS: `SSL://${TLS},SASL_SSL://${SASL_SSL},SASL_PLAINTEXT://${SASL_PLAINTEXT}`,
  KAFKA_EXTRA_CONFIG: join(dir, 'secure.properties'),
  KAFKA_FORMAT_ARGS: ['SCRAM-SHA-256', 'SCRAM-SHA-512']
    .map((mechanism) => `--add-scram ${mechanism}=[name=${USER},password=${PASSWORD}]`)
    .join(' '),
};
const ca = join(dir, 'ca.pem');

/** The settings a user would export, read by the service's own parser. */
function security(settings: Record<string, string>): ReturnType<typeof parseKafkaSecurity> {
  return parseKafkaSecurity(settings);
}

/** Connects a ledger (creating the topic), appends one certificate and reads it back. */
async function roundTrip(broker: string, settings: Record<string, string>): Promise<number> {
  const topic = uniqueTopic('secure');
  const ledger = new KafkaLedger({ brokers: [broker], security: security(settings), debug: false }, topicSettings(topic), {
    appendTimeoutMs: 10_000,
  });
  try {
    await ledger.connect();
    await ledger.append(encodeRecords(certificates('CS', 1, 1).map((certificate) => ({ ...certificate, offset: 0 }))));
    let read = 0;
    await ledger.readAll((entries) => (read += entries.length));
    return read;
  } finally {
    await ledger.disconnect();
  }
}

describe.skipIf(skipsWithoutOwnBroker(import.meta.url))('Kafka over TLS and SASL (a self-signed certificate made by the test)', () => {
  beforeAll(async () => {
    // One self-signed certificate for 127.0.0.1: the broker's identity, and the CA the client trusts.
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', ca,
    ], { stdio: 'ignore' }); // prettier-ignore
    execFileSync('sh', ['-c', `cat '${join(dir, 'key.pem')}' '${ca}' > '${join(dir, 'broker.pem')}'`]);
    const jaas = (module: string, options = ''): string => `org.apache.kafka.common.security.${module} required${options};`;
    writeFileSync(
      env.KAFKA_EXTRA_CONFIG,
      [
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${join(dir, 'broker.pem')}`,
        'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        ...['sasl_ssl', 'sasl_plaintext'].flatMap((listener) => [
          `listener.name.${listener}.plain.sasl.jaas.config=${jaas('plain.PlainLoginModule', ` user_${USER}="${PASSWORD}"`)}`,
          `listener.name.${listener}.scram-sha-256.sasl.jaas.config=${jaas('scram.ScramLoginModule')}`,
          `listener.name.${listener}.scram-sha-512.sasl.jaas.config=${jaas('scram.ScramLoginModule')}`,
        ]),
        '',
      ].join('\n'),
    );
    await run(brokerScript, ['start'], { env });
  }, 180_000);

  afterAll(async () => {
    await run(brokerScript, ['stop'], { env });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('writes and reads certificates over TLS, trusting the CA named by KAFKA_TLS_CA_FILE', async () => {
    expect(await roundTrip(TLS, { KAFKA_TLS_CA_FILE: ca })).toBe(1);
  });

  it('refuses a broker whose certificate it does not trust, unless told not to check (KAFKA_TLS_REJECT_UNAUTHORIZED=0)', async () => {
    await expect(roundTrip(TLS, { KAFKA_TLS: '1' })).rejects.toThrow(/certificate/i);
    expect(await roundTrip(TLS, { KAFKA_TLS: '1', KAFKA_TLS_REJECT_UNAUTHORIZED: '0' })).toBe(1);
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'])(
    'authenticates with SASL %s over TLS, and is refused with a wrong password',
    async (mechanism) => {
      const settings = { KAFKA_TLS_CA_FILE: ca, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: USER };
      expect(await roundTrip(SASL_SSL, { ...settings, KAFKA_SASL_PASSWORD: PASSWORD })).toBe(1);
      await expect(roundTrip(SASL_SSL, { ...settings, KAFKA_SASL_PASSWORD: 'wrong' })).rejects.toThrow(/authenticat|SASL/i);
    },
  );

  it('runs the service and the audit against SASL_SSL from the environment alone', async () => {
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, `${PASSWORD}\n`);
    const topic = uniqueTopic('secure-service');
    const settings = {
      KAFKA_BROKERS: SASL_SSL,
      KAFKA_TOPIC: topic,
      KAFKA_TLS_CA_FILE: ca,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    };
    const service = await startService(settings);
    try {
      const reply = await issue(service.url, 'CS', 5);
      expect([reply.status, reply.body.id]).toEqual([201, 'CS-1']);
    } finally {
      await service.stop();
    }
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/audit/cli.ts'], {
      env: { ...process.env, ...settings, SIGNING_KEY_FILE: SIGNING_FILE },
    });
    expect(stdout).toMatch(/^CS\s+1\s+5\s/m);
    expect(stdout).toContain('OK');
  }, 120_000);

  it('refuses SASL without TLS, naming KAFKA_SASL_ALLOW_PLAINTEXT; allowed by it, works and warns at start, in the service and the audit', async () => {
    const topic = uniqueTopic('sasl-plaintext');
    const settings = {
      KAFKA_BROKERS: SASL_PLAINTEXT,
      KAFKA_TOPIC: topic,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD: PASSWORD,
    };
    await expect(startService(settings)).rejects.toThrow(
      /exited with 2 before answering:[\s\S]*Expected `KAFKA_SASL_MECHANISM` to be used over TLS \(set KAFKA_TLS=1 or KAFKA_TLS_CA_FILE\), or allowed without it by KAFKA_SASL_ALLOW_PLAINTEXT=1/,
    );
    const audit = (env: Record<string, string>) =>
      run(process.execPath, ['--import', 'tsx', 'src/audit/cli.ts'], { env: { ...process.env, ...env, SIGNING_KEY_FILE: SIGNING_FILE } });
    await expect(audit(settings)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('KAFKA_SASL_ALLOW_PLAINTEXT=1') });

    const allowed = { ...settings, KAFKA_SASL_ALLOW_PLAINTEXT: '1' };
    const service = await startService(allowed);
    try {
      const reply = await issue(service.url, 'CS', 5);
      expect([reply.status, reply.body.id]).toEqual([201, 'CS-1']);
    } finally {
      await service.stop();
    }
    const warning =
      'SASL scram-sha-512 WITHOUT TLS (KAFKA_SASL_ALLOW_PLAINTEXT=1): anyone on the network path can read and alter every record';
    const warned = service
      .output()
      .split('\n')
      .filter((line) => line.includes(warning));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('"level":"warn"');
    expect(service.output()).not.toContain(PASSWORD);
    const { stdout, stderr } = await audit(allowed);
    expect(stderr).toContain(`WARNING: ${warning}`);
    expect(stdout).toMatch(/^CS\s+1\s+5\s/m);
  }, 120_000);
});
