import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAuditConfig, loadConfig, parseKafkaSecurity, parseShareClasses, type Config } from '../src/config.js';
import { plaintextSaslWarning } from '../src/log/kafka-security.js';
import { startInstance, type Instance } from '../src/instance.js';
import { createLogger } from '../src/monitoring/logger.js';
import { runSigningCommand } from '../src/cli/signing-command.js';
import type { LoggedRecord } from '../src/core/logged-record.js';
import { readLog } from './support/log.js';
import { broker, skipsWithoutOwnBroker, uniqueTopic } from './support/broker.js';
import { ADMIN, authorizedFetch } from './support/credentials.js';
import { issue, issueWithKey, post } from './support/http.js';
import { startOidcProvider, TEST_AUDIENCE } from './support/oidc-provider.js';
import { freePort } from './support/service.js';

const dir = mkdtempSync(join(tmpdir(), 'config-'));
const pem = join(dir, 'ca.pem');
writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const passwordFile = join(dir, 'password');
writeFileSync(passwordFile, 's3cret\n');
const stateKeyFile = join(dir, 'state.key');
writeFileSync(stateKeyFile, 'a state key of thirty-two bytes or more\n');
const secretFile = join(dir, 'cluster-secret');
writeFileSync(secretFile, 'a cluster secret of more than thirty-two bytes\n');

describe('configuration', () => {
  it('defaults to the original authorized totals, port 3000, topic certificates and the local broker', () => {
    expect(loadConfig({})).toMatchObject({
      http: { port: 3000, host: '127.0.0.1' },
      kafka: { brokers: undefined, localPort: 9092, security: {}, debug: false },
      topic: { name: 'certificates', replicationFactor: 1, minInsyncReplicas: 1, flushEveryWrite: false },
      issuing: {
        shareClasses: [
          { code: 'CS', authorized: 2_600_000 },
          { code: 'PS', authorized: 750_000 },
        ],
        commitTimeoutMs: 5000,
      },
      cluster: { writerGroup: 'certificates.writer', writerSessionTimeoutMs: 6000, writerWaitMs: 10_000 },
      state: { dir: undefined, everyRecords: 100_000 },
      logging: { level: 'info', sample: 100 },
      auth: { apiKeysFile: join(process.cwd(), '.state', 'api-keys.json'), development: true, disabled: false, oidc: undefined },
    });
  });

  it('reads brokers and any uppercase class codes, and names the writer group after the topic', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:9092, b:9093', SHARE_CLASSES: 'CS=10,PREF=5,B=1', KAFKA_TOPIC: 'shares' });
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(config.issuing.shareClasses.map((shareClass) => shareClass.code)).toEqual(['CS', 'PREF', 'B']);
    expect(config.cluster.writerGroup).toBe('shares.writer');
  });

  it.each([
    ['PORT', 'abc', 'Expected `PORT` to be an integer from 0 to 65535, got "abc"'],
    ['PORT', '70000', 'Expected `PORT` to be an integer from 0 to 65535'],
    ['KAFKA_PORT', '0', 'Expected `KAFKA_PORT` to be an integer from 1 to 65535, got "0"'],
    ['SHARE_CLASSES', 'cs=10', 'Expected `SHARE_CLASSES` to be a comma-separated list of CODE=AUTHORIZED'],
    ['SHARE_CLASSES', 'CS=0', 'Expected `SHARE_CLASSES`'],
    ['SHARE_CLASSES', 'CS=10,CS=20', 'each code once'],
    ['KAFKA_BROKERS', 'localhost', 'Expected `KAFKA_BROKERS` to be a comma-separated list of host:port'],
    ['KAFKA_TOPIC', 'bad topic!', 'Expected `KAFKA_TOPIC` to be a Kafka topic name'],
    ['KAFKA_FLUSH_EVERY_WRITE', 'yes', 'Expected `KAFKA_FLUSH_EVERY_WRITE` to be an integer from 0 to 1, got "yes"'],
    ['IDEMPOTENCY_WINDOW_MS', '999', 'Expected `IDEMPOTENCY_WINDOW_MS` to be an integer from 1000 to 31536000000, got "999"'],
    ['IDEMPOTENCY_MAX_KEYS', '0', 'Expected `IDEMPOTENCY_MAX_KEYS` to be an integer from 1 to 100000000, got "0"'],
    ['SHARE_CLASSES', `CS=10:${'x'.repeat(101)}`, 'names up to 100 characters'],
    ['SHARE_CLASSES', 'CS=10:Common\u0007Stock', 'Expected `SHARE_CLASSES`'],
    ['COMPANY_NAME', 'x'.repeat(121), 'Expected `COMPANY_NAME` to be up to 120 characters without control characters'],
    ['COMPANY_NAME', 'Salt\nBae', 'Expected `COMPANY_NAME`'],
    ['ISSUER_FORMATION_DATE', '2019-02-30', 'Expected `ISSUER_FORMATION_DATE` to be a date, YYYY-MM-DD, got "2019-02-30"'],
    ['ISSUER_COUNTRY', 'USA', 'Expected `ISSUER_COUNTRY` to be an ISO 3166-1 alpha-2 country code, e.g. US, got "USA"'],
    ['PUBLIC_URL', 'shares.example.com', 'Expected `PUBLIC_URL` to be an http:// or https:// URL, got "shares.example.com"'],
    ['INTERNAL_PORT', '3000', 'Expected `INTERNAL_PORT` to be a port other than PORT (3000), got "3000"'],
    [
      'CLUSTER_SECRET_FILE',
      passwordFile,
      `Expected \`CLUSTER_SECRET_FILE\` to be a file of at least 32 bytes (e.g. openssl rand -base64 48), got "${passwordFile} (6 bytes)"`,
    ],
    ['CLUSTER_SECRET_FILE', join(dir, 'missing'), 'Expected `CLUSTER_SECRET_FILE` to be a readable file of at least 32 bytes'],
    [
      'ADVERTISED_URL',
      'https://elsewhere:1',
      'Expected `ADVERTISED_URL` to be an http:// URL, or an https:// one with INTERNAL_TLS_CERT_FILE and INTERNAL_TLS_KEY_FILE',
    ],
    ['INTERNAL_TLS_CERT_FILE', pem, 'Expected `INTERNAL_TLS_CERT_FILE` to be set together with INTERNAL_TLS_KEY_FILE'],
    ['LOG_LEVEL', 'loud', 'Expected `LOG_LEVEL` to be one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    ['STATE_KEY_FILE', stateKeyFile, 'Expected `STATE_KEY_FILE` to be set together with STATE_DIR (the snapshots it authenticates)'],
    ['MAILBOX_LIMIT', '0', 'Expected `MAILBOX_LIMIT` to be an integer from 1 to 10000000, got "0"'],
    ['TRUST_PROXY', '11', 'Expected `TRUST_PROXY` to be an integer from 0 to 10, got "11"'],
    ['MAX_CONNECTIONS', '0', 'Expected `MAX_CONNECTIONS` to be an integer from 1 to 1000000, got "0"'],
  ])('refuses %s=%s with a clear message', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("reads the snapshots' key from STATE_KEY_FILE without its final newline, refusing a short or missing one", () => {
    expect(loadConfig({ STATE_DIR: dir, STATE_KEY_FILE: stateKeyFile }).state.key).toBe('a state key of thirty-two bytes or more');
    expect(loadConfig({ STATE_DIR: dir }).state.key).toBeUndefined();
    expect(() => loadConfig({ STATE_DIR: dir, STATE_KEY_FILE: passwordFile })).toThrow(
      `Expected \`STATE_KEY_FILE\` to be a file of at least 32 bytes (e.g. from openssl rand -base64 32), got "${passwordFile} (6 bytes)"`,
    );
    expect(() => loadConfig({ STATE_DIR: dir, STATE_KEY_FILE: join(dir, 'missing') })).toThrow('ENOENT');
  });

  it('parses share classes with spaces around the parts', () => {
    expect(parseShareClasses(' CS = 5 , PS=7')).toEqual([
      { code: 'CS', authorized: 5 },
      { code: 'PS', authorized: 7 },
    ]);
  });

  it('reads display names for paper certificates: SHARE_CLASSES as CODE=AUTHORIZED:Name, COMPANY_NAME and PUBLIC_URL', () => {
    const config = loadConfig({
      SHARE_CLASSES: 'CS=2600000:Common Stock, PS=750000 ,B=10: Class B Voting ',
      COMPANY_NAME: ' Salt Bae Holdings, Inc. ',
      PUBLIC_URL: 'https://shares.example.com/',
    });
    expect(config.issuing.shareClasses).toEqual([
      { code: 'CS', authorized: 2_600_000, name: 'Common Stock' },
      { code: 'PS', authorized: 750_000 },
      { code: 'B', authorized: 10, name: 'Class B Voting' },
    ]);
    expect(config.paper).toEqual({ companyName: 'Salt Bae Holdings, Inc.', publicUrl: 'https://shares.example.com' });
    expect(loadConfig({}).paper).toEqual({ companyName: 'Example Corporation', publicUrl: undefined });
  });

  // Off loopback an instance needs authentication configured; the file itself is read at start, not here.
  const keysFile = join(dir, 'api-keys.json');

  it('puts the internal listener on PORT + 1, advertises it, and serves it over TLS exactly when it has a certificate', () => {
    expect(loadConfig({ PORT: '4000', HOST: '10.0.0.5', API_KEYS_FILE: keysFile })).toMatchObject({
      internal: { port: 4001, secret: undefined, tls: undefined, ca: undefined },
      cluster: { advertisedUrl: 'http://10.0.0.5:4001' },
    });
    expect(loadConfig({ PORT: '0' }).internal.port).toBe(0);
    const tls = loadConfig({
      HOST: '10.0.0.5',
      API_KEYS_FILE: keysFile,
      INTERNAL_TLS_CERT_FILE: pem,
      INTERNAL_TLS_KEY_FILE: pem,
      INTERNAL_TLS_CA_FILE: pem,
    });
    expect(tls.internal).toMatchObject({
      tls: { cert: expect.stringContaining('BEGIN'), key: expect.stringContaining('BEGIN') },
      ca: expect.stringContaining('BEGIN'),
    });
    expect(tls.cluster.advertisedUrl).toBe('https://10.0.0.5:3001');
    expect(() => loadConfig({ INTERNAL_TLS_CERT_FILE: pem, INTERNAL_TLS_KEY_FILE: pem, ADVERTISED_URL: 'http://a:1' })).toThrow(
      'Expected `ADVERTISED_URL` to be an https:// URL (INTERNAL_TLS_CERT_FILE is set)',
    );
    expect(loadConfig({ CLUSTER_SECRET_FILE: secretFile }).internal.secret).toBe('a cluster secret of more than thirty-two bytes');
  });

  it('limits by default: 10,000 waiting per class and per writer, 20,000 requests a second per caller in bursts of 40,000, 4,096 connections, no proxy trusted', () => {
    const { issuing, edge } = loadConfig({});
    expect(issuing).toMatchObject({ mailboxLimit: 10_000, forwardQueueLimit: 10_000 });
    expect(edge).toEqual({ trustProxyHops: 0, maxConnections: 4096, rateLimit: { perSecond: 20_000, burst: 40_000 } });
    expect(loadConfig({ RATE_LIMIT_PER_SECOND: '50' }).edge.rateLimit).toEqual({ perSecond: 50, burst: 100 });
    expect(loadConfig({ RATE_LIMIT_PER_SECOND: '0' }).edge.rateLimit).toBeUndefined();
  });

  it("reads the console's settings: sessions of 60 minutes keyed by the cluster secret, 200 live streams, no OIDC client by default", () => {
    expect(loadConfig({}).console).toEqual({ sessionMinutes: 60, sessionSecret: undefined, liveMax: 200, client: undefined });
    const oidc = { OIDC_ISSUER: 'https://login.example.com', OIDC_AUDIENCE: 'https://certificates.example.com' };
    const console = loadConfig({
      ...oidc,
      OIDC_CONSOLE_CLIENT_ID: 'console',
      OIDC_CONSOLE_CLIENT_SECRET_FILE: passwordFile,
      CONSOLE_SESSION_KEY_FILE: stateKeyFile,
      CONSOLE_SESSION_MINUTES: '15',
    }).console;
    expect(console).toEqual({
      sessionMinutes: 15,
      sessionSecret: 'a state key of thirty-two bytes or more',
      liveMax: 200,
      client: { clientId: 'console', clientSecret: 's3cret', scope: 'openid' },
    });
    for (const [env, message] of [
      [
        { OIDC_CONSOLE_CLIENT_ID: 'console', OIDC_CONSOLE_CLIENT_SECRET_FILE: passwordFile },
        '`OIDC_CONSOLE_CLIENT_ID` to be set only with OIDC_ISSUER',
      ],
      [{ ...oidc, OIDC_CONSOLE_CLIENT_ID: 'console' }, '`OIDC_CONSOLE_CLIENT_SECRET_FILE` to be set with OIDC_CONSOLE_CLIENT_ID'],
      [{ OIDC_CONSOLE_SCOPE: 'openid' }, '`OIDC_CONSOLE_SCOPE` to be set only with OIDC_CONSOLE_CLIENT_ID'],
      [
        { ...oidc, OIDC_CONSOLE_CLIENT_ID: 'console', OIDC_CONSOLE_CLIENT_SECRET_FILE: passwordFile, OIDC_CONSOLE_SCOPE: 'profile' },
        'including openid',
      ],
      [{ CONSOLE_SESSION_KEY_FILE: passwordFile }, '`CONSOLE_SESSION_KEY_FILE` to be a file of at least 32 bytes'],
      [{ CONSOLE_SESSION_MINUTES: '0' }, '`CONSOLE_SESSION_MINUTES` to be an integer from 1 to 1440'],
    ] as const) {
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(message);
    }
  });

  it('remembers idempotency keys for 24 hours and the newest million by default', () => {
    expect(loadConfig({}).issuing.keyWindow).toEqual({ windowMs: 86_400_000, maxKeys: 1_000_000 });
    const env = { IDEMPOTENCY_WINDOW_MS: '3600000', IDEMPOTENCY_MAX_KEYS: '5000' };
    expect(loadConfig(env).issuing.keyWindow).toEqual({ windowMs: 3_600_000, maxKeys: 5000 });
  });
});

describe('Kafka TLS and SASL settings', () => {
  it('is plaintext without any setting, as before', () => {
    expect(parseKafkaSecurity({})).toEqual({});
    expect(loadConfig({}).kafka.security).toEqual({});
  });

  it('turns TLS on with a CA file (trusted instead of the system CAs) or with KAFKA_TLS=1 alone, checking the broker by default', () => {
    expect(parseKafkaSecurity({ KAFKA_TLS_CA_FILE: pem })).toEqual({
      tls: { rejectUnauthorized: true, ca: expect.stringContaining('BEGIN CERTIFICATE') },
    });
    expect(parseKafkaSecurity({ KAFKA_TLS: '1' })).toEqual({ tls: { rejectUnauthorized: true } });
    expect(parseKafkaSecurity({ KAFKA_TLS: '1', KAFKA_TLS_REJECT_UNAUTHORIZED: '0' })).toEqual({ tls: { rejectUnauthorized: false } });
    expect(parseKafkaSecurity({ KAFKA_TLS_CERT_FILE: pem, KAFKA_TLS_KEY_FILE: pem }).tls).toMatchObject({
      cert: expect.any(String),
      key: expect.any(String),
    });
  });

  it('reads SASL credentials, the password from a file without its final newline', () => {
    expect(
      parseKafkaSecurity({
        KAFKA_TLS: '1',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'alice',
        KAFKA_SASL_PASSWORD_FILE: passwordFile,
      }),
    ).toEqual({
      tls: { rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 's3cret' },
    });
  });

  it('refuses SASL without TLS, naming what to set, unless KAFKA_SASL_ALLOW_PLAINTEXT=1, which the service then warns of at start', () => {
    const sasl = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'p' };
    expect(() => parseKafkaSecurity(sasl)).toThrow(
      'Expected `KAFKA_SASL_MECHANISM` to be used over TLS (set KAFKA_TLS=1 or KAFKA_TLS_CA_FILE), or allowed without it by KAFKA_SASL_ALLOW_PLAINTEXT=1, got "plain"',
    );
    expect(() => loadAuditConfig(sasl)).toThrow('KAFKA_SASL_ALLOW_PLAINTEXT=1');
    expect(() => parseKafkaSecurity({ ...sasl, KAFKA_SASL_ALLOW_PLAINTEXT: '0' })).toThrow('KAFKA_SASL_ALLOW_PLAINTEXT=1');
    const allowed = parseKafkaSecurity({ ...sasl, KAFKA_SASL_ALLOW_PLAINTEXT: '1' });
    expect(allowed).toEqual({ sasl: { mechanism: 'plain', username: 'alice', password: 'p' } });
    expect(plaintextSaslWarning(allowed)).toMatch(
      /^SASL plain WITHOUT TLS \(KAFKA_SASL_ALLOW_PLAINTEXT=1\): anyone on the network path can read and alter the Kafka password and every record/,
    );
    expect(plaintextSaslWarning(allowed)).not.toContain('p,');
    expect(plaintextSaslWarning(parseKafkaSecurity({ ...sasl, KAFKA_TLS: '1' }))).toBeUndefined();
    expect(plaintextSaslWarning(parseKafkaSecurity({}))).toBeUndefined();
  });

  it("signs with SIGNING_KEY_FILE, else the state directory's development file; production needs the file named and refuses SIGNING_DISABLED", () => {
    expect(loadConfig({}).signing).toEqual({ keyFile: join(process.cwd(), '.state', 'signing-keys.json'), development: true });
    expect(loadConfig({ STATE_DIR: '/var/lib/certificates' }).signing).toEqual({
      keyFile: '/var/lib/certificates/signing-keys.json',
      development: true,
    });
    expect(loadConfig({ SIGNING_KEY_FILE: 'keys/signing.json' }).signing).toEqual({
      keyFile: resolve('keys/signing.json'),
      development: false,
    });
    expect(loadConfig({ SIGNING_DISABLED: '1' }).signing).toEqual({ keyFile: undefined, development: false });
    expect(() => loadConfig({ SIGNING_DISABLED: 'yes' })).toThrow('Expected `SIGNING_DISABLED` to be an integer from 0 to 1, got "yes"');
    const production = { NODE_ENV: 'production', API_KEYS_FILE: '/k', PUBLIC_URL: 'https://x.example', CLUSTER_SECRET_FILE: secretFile };
    expect(() => loadConfig(production)).toThrow(
      'Expected `SIGNING_KEY_FILE` to be set when NODE_ENV=production (keys made with `npm run keys -- signing create`)',
    );
    expect(loadConfig({ ...production, SIGNING_KEY_FILE: '/s' }).signing).toEqual({ keyFile: '/s', development: false });
    expect(() => loadConfig({ ...production, SIGNING_KEY_FILE: '/s', SIGNING_DISABLED: '1' })).toThrow(
      'Expected `SIGNING_DISABLED` to be unset when NODE_ENV=production',
    );
  });

  it.each([
    [{ KAFKA_TLS_CA_FILE: join(dir, 'missing.pem') }, 'Expected `KAFKA_TLS_CA_FILE` to be a readable PEM file, got', 'ENOENT'],
    [{ KAFKA_TLS_CA_FILE: passwordFile }, 'Expected `KAFKA_TLS_CA_FILE` to be a PEM file', passwordFile],
    [
      { KAFKA_TLS_CERT_FILE: pem },
      'Expected `KAFKA_TLS_CERT_FILE` to be set together with KAFKA_TLS_KEY_FILE',
      'a client certificate and its key',
    ],
    [
      { KAFKA_SASL_MECHANISM: 'gssapi' },
      'Expected `KAFKA_SASL_MECHANISM` to be plain, scram-sha-256, scram-sha-512, got "gssapi"',
      'gssapi',
    ],
    [{ KAFKA_SASL_MECHANISM: 'plain' }, 'Expected `KAFKA_SASL_USERNAME` to be a user name', 'KAFKA_SASL_MECHANISM is plain'],
    [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice' },
      'Expected `KAFKA_SASL_PASSWORD` to be a password',
      'KAFKA_SASL_PASSWORD_FILE',
    ],
  ])('refuses %j with a clear message', (env, message, detail) => {
    expect(() => loadConfig(env)).toThrow(message);
    expect(() => loadConfig(env)).toThrow(detail);
  });
});

/** The service's variables, as docs/operations.md's tables list them (the local broker's own table apart: scripts/kafka reads those). */
function documentedVariables(): string[] {
  const operations = readFileSync(fileURLToPath(new URL('../docs/operations.md', import.meta.url)), 'utf8');
  const service = operations.slice(0, operations.indexOf('## The local broker'));
  // A row's first cell names one variable or several: `KAFKA_TLS_CERT_FILE`, `KAFKA_TLS_KEY_FILE`.
  const firstCells = [...service.matchAll(/^\| (`[^|]+)\|/gm)].map((match) => match[1]!);
  return [...new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]!)))];
}

/**
 * For each variable, a value other than its default, and the other variables it needs beside it
 * (`with`): what it is parsed into is what differs between the configurations with and without it.
 */
/** The console's client and what it needs beside it. */
const CONSOLE_CLIENT = {
  OIDC_ISSUER: 'https://login.example.com',
  OIDC_AUDIENCE: 'https://certificates.example.com',
  OIDC_CONSOLE_CLIENT_ID: 'console',
  OIDC_CONSOLE_CLIENT_SECRET_FILE: passwordFile,
};

const SAMPLES: Readonly<Record<string, { readonly with?: Record<string, string>; readonly value: string }>> = {
  PORT: { value: '4000' },
  HOST: { value: '127.0.0.2' },
  KAFKA_BROKERS: { value: 'a:1,b:2' },
  KAFKA_PORT: { value: '19092' },
  KAFKA_TOPIC: { value: 'shares' },
  SHARE_CLASSES: { value: 'CS=10' },
  KAFKA_REPLICATION_FACTOR: { value: '3' },
  KAFKA_MIN_INSYNC_REPLICAS: { value: '2' },
  KAFKA_FLUSH_EVERY_WRITE: { value: '1' },
  COMMIT_TIMEOUT_MS: { value: '7000' },
  ADVERTISED_URL: { value: 'http://elsewhere:1' },
  WRITER_GROUP: { value: 'elected' },
  WRITER_SESSION_TIMEOUT_MS: { value: '7000' },
  WRITER_WAIT_MS: { value: '3000' },
  IDEMPOTENCY_WINDOW_MS: { value: '60000' },
  IDEMPOTENCY_MAX_KEYS: { value: '10' },
  COMPANY_NAME: { value: 'Salt Bae Holdings, Inc.' },
  ISSUER_FORMATION_DATE: { value: '2019-03-14' },
  ISSUER_COUNTRY: { value: 'GB' },
  PUBLIC_URL: { value: 'https://shares.example.com' },
  STATE_DIR: { value: '/var/lib/certificates' },
  SNAPSHOT_EVERY_RECORDS: { value: '5000' },
  STATE_KEY_FILE: { with: { STATE_DIR: '/var/lib/certificates' }, value: stateKeyFile },
  LOG_LEVEL: { value: 'debug' },
  LOG_SAMPLE: { value: '7' },
  API_KEYS_FILE: { value: '/etc/certificates/api-keys.json' },
  AUTH_DISABLED: { value: '1' },
  KAFKAJS_DEBUG: { value: '1' },
  KAFKA_TLS: { value: '1' },
  KAFKA_TLS_CA_FILE: { value: pem },
  KAFKA_TLS_CERT_FILE: { with: { KAFKA_TLS_KEY_FILE: pem }, value: pem },
  KAFKA_TLS_KEY_FILE: { with: { KAFKA_TLS_CERT_FILE: pem }, value: pem },
  KAFKA_TLS_REJECT_UNAUTHORIZED: { with: { KAFKA_TLS: '1' }, value: '0' },
  OIDC_ISSUER: { with: { OIDC_AUDIENCE: 'https://certificates.example.com' }, value: 'https://login.example.com' },
  OIDC_AUDIENCE: { with: { OIDC_ISSUER: 'https://login.example.com' }, value: 'https://certificates.example.com' },
  OIDC_ROLES_CLAIM: {
    with: { OIDC_ISSUER: 'https://login.example.com', OIDC_AUDIENCE: 'https://certificates.example.com' },
    value: 'realm_access.roles',
  },
  OIDC_CLOCK_SKEW_SECONDS: {
    with: { OIDC_ISSUER: 'https://login.example.com', OIDC_AUDIENCE: 'https://certificates.example.com' },
    value: '5',
  },
  KAFKA_SASL_MECHANISM: { with: { KAFKA_TLS: '1', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'p' }, value: 'plain' },
  KAFKA_SASL_USERNAME: { with: { KAFKA_TLS: '1', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'p' }, value: 'alice' },
  KAFKA_SASL_PASSWORD: { with: { KAFKA_TLS: '1', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice' }, value: 'p' },
  KAFKA_SASL_PASSWORD_FILE: { with: { KAFKA_TLS: '1', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice' }, value: passwordFile },
  KAFKA_SASL_ALLOW_PLAINTEXT: {
    with: { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'p' },
    value: '1',
  },
  INTERNAL_PORT: { value: '4001' },
  CLUSTER_SECRET_FILE: { value: secretFile },
  INTERNAL_TLS_CERT_FILE: { with: { INTERNAL_TLS_KEY_FILE: pem, ADVERTISED_URL: 'https://a:1' }, value: pem },
  INTERNAL_TLS_KEY_FILE: { with: { INTERNAL_TLS_CERT_FILE: pem, ADVERTISED_URL: 'https://a:1' }, value: pem },
  INTERNAL_TLS_CA_FILE: { value: pem },
  MAILBOX_LIMIT: { value: '500' },
  FORWARD_QUEUE_LIMIT: { value: '700' },
  RATE_LIMIT_PER_SECOND: { value: '300' },
  RATE_LIMIT_BURST: { value: '900' },
  MAX_CONNECTIONS: { value: '100' },
  TRUST_PROXY: { value: '1' },
  SIGNING_KEY_FILE: { value: '/etc/certificates/signing-keys.json' },
  SIGNING_DISABLED: { value: '1' },
  CONSOLE_SESSION_MINUTES: { value: '30' },
  CONSOLE_SESSION_KEY_FILE: { value: stateKeyFile },
  CONSOLE_LIVE_MAX: { value: '10' },
  OIDC_CONSOLE_CLIENT_ID: { with: CONSOLE_CLIENT, value: 'console-app' },
  OIDC_CONSOLE_CLIENT_SECRET_FILE: { with: CONSOLE_CLIENT, value: secretFile },
  OIDC_CONSOLE_SCOPE: { with: CONSOLE_CLIENT, value: 'openid certificates' },
};

type Leaves = Map<string, unknown>;

/** Every leaf of a configuration by its path (`topic.flushEveryWrite`); an empty object is a leaf. */
function leaves(value: unknown, path = '', into: Leaves = new Map()): Leaves {
  const entries = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
  if (entries.length === 0) into.set(path, JSON.stringify(value));
  for (const [key, inner] of entries) leaves(inner, path === '' ? key : `${path}.${key}`, into);
  return into;
}

/** The leaves a variable changes: what it is parsed into. */
function parsedInto(variable: string): string[] {
  const sample = SAMPLES[variable];
  if (sample === undefined) throw new Error(`Expected a sample value for ${variable} in test/config.test.ts`);
  const before = leaves(loadConfig({}));
  const after = leaves(loadConfig({ ...sample.with, [variable]: sample.value }));
  return [...new Set([...before.keys(), ...after.keys()])].filter((path) => before.get(path) !== after.get(path));
}

/** The configuration, with every property read anywhere in it recorded by its path, found or not. */
function tracked<T extends object>(value: T, read: Set<string>, path = ''): T {
  return new Proxy(value, {
    get(target, key, receiver) {
      const inner: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return inner;
      const at = path === '' ? key : `${path}.${key}`;
      read.add(at);
      return inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? tracked(inner, read, at) : inner;
    },
  });
}

/** A leaf is read when its path, or the part of it that a reader looked for and found absent, was read. */
function wasRead(leaf: string, read: ReadonlySet<string>, running: Leaves): boolean {
  const parts = leaf.split('.');
  return parts.some((_, at) => {
    const prefix = parts.slice(0, at + 1).join('.');
    return read.has(prefix) && (prefix === leaf || ![...running.keys()].some((path) => path === prefix || path.startsWith(`${prefix}.`)));
  });
}

describe('every setting docs/operations.md documents', () => {
  it('is parsed into the configuration: each variable changes what the service is given', () => {
    const variables = documentedVariables();
    expect(variables.length).toBeGreaterThan(30);
    expect(variables.filter((variable) => SAMPLES[variable] === undefined)).toEqual([]);
    expect(variables.filter((variable) => parsedInto(variable).length === 0)).toEqual([]);
  });

  it.skipIf(skipsWithoutOwnBroker(import.meta.url))(
    'reaches a part of the running service that reads it: two instances, every setting away from its default, a write forwarded, a key replayed',
    async () => {
      const topic = uniqueTopic('settings');
      const stateDir = mkdtempSync(join(tmpdir(), 'settings-state-'));
      const read = new Set<string>();
      const instances: Instance[] = [];
      const configs: Config[] = [];
      const logger = createLogger('silent');
      // A real identity provider: the first instance trusts it, and is sent one of its tokens.
      const provider = await startOidcProvider();
      try {
        for (let slot = 0; slot < 2; slot++) {
          const port = await freePort();
          const internalPort = await freePort();
          const config = loadConfig({
            PORT: String(port),
            HOST: '127.0.0.1',
            INTERNAL_PORT: String(internalPort),
            ADVERTISED_URL: `http://127.0.0.1:${internalPort}`,
            // Both instances share it: the second forwards to the first.
            CLUSTER_SECRET_FILE: secretFile,
            // No KAFKA_BROKERS: the instance starts the local broker on KAFKA_PORT, which is the suite's, already running.
            KAFKA_PORT: String(broker().port),
            KAFKA_TOPIC: topic,
            SHARE_CLASSES: 'CS=1000:Common Stock',
            KAFKA_REPLICATION_FACTOR: '1',
            KAFKA_MIN_INSYNC_REPLICAS: '1',
            KAFKA_FLUSH_EVERY_WRITE: '1',
            COMMIT_TIMEOUT_MS: '4000',
            WRITER_GROUP: `${topic}.elected`,
            WRITER_SESSION_TIMEOUT_MS: '6000',
            WRITER_WAIT_MS: '9000',
            IDEMPOTENCY_WINDOW_MS: '3600000',
            IDEMPOTENCY_MAX_KEYS: '100',
            COMPANY_NAME: 'Salt Bae Holdings, Inc.',
            ISSUER_FORMATION_DATE: '2019-03-14',
            ISSUER_COUNTRY: 'GB',
            PUBLIC_URL: 'https://shares.example.com',
            STATE_DIR: stateDir,
            SNAPSHOT_EVERY_RECORDS: '1000',
            STATE_KEY_FILE: stateKeyFile,
            LOG_LEVEL: 'silent',
            LOG_SAMPLE: '1',
            API_KEYS_FILE: ADMIN.file,
            KAFKAJS_DEBUG: '',
            MAILBOX_LIMIT: '500',
            FORWARD_QUEUE_LIMIT: '700',
            RATE_LIMIT_PER_SECOND: '300',
            RATE_LIMIT_BURST: '900',
            MAX_CONNECTIONS: '100',
            TRUST_PROXY: '1',
            ...(slot === 0
              ? {
                  OIDC_ISSUER: provider.issuer,
                  OIDC_AUDIENCE: TEST_AUDIENCE,
                  OIDC_ROLES_CLAIM: 'realm_access.roles',
                  OIDC_CLOCK_SKEW_SECONDS: '5',
                }
              : {}),
          });
          configs.push(config);
          instances.push(await startInstance(tracked(config, read), logger));
        }
        const [first, second] = configs.map((config) => `http://127.0.0.1:${config.http.port}`) as [string, string];
        await expect.poll(async () => (await fetch(`${second}/readyz`)).status, { timeout: 30_000 }).toBe(200);
        // Each instance takes one: one issues, the other forwards to it; a key is replayed.
        for (const url of [first, second]) expect((await issue(url, 'CS', 1)).status).toBe(201);
        for (let time = 0; time < 2; time++)
          expect((await issueWithKey(second, 'settings-key', { class: 'CS', amount: 1, name: 'Ada' })).status).toBe(201);
        expect((await authorizedFetch(`${first}/certificates/CS-1`, { headers: { accept: 'text/html' } })).status).toBe(200);
        // The issuer's settings are read by an OCF export (test/ocf/ocf.test.ts checks what they say there).
        expect((await authorizedFetch(`${first}/ocf/export`)).status).toBe(200);
        // Its roles are in realm_access.roles: the token issues only if OIDC_ROLES_CLAIM was read.
        const token = await provider.token('issuer');
        const body = { class: 'CS', amount: 1, name: 'Ada' };
        expect((await post(`${first}/`, body, 'application/json', undefined, { authorization: `Bearer ${token}` })).status).toBe(201);
        // The snapshot check runs every 5 s.
        await new Promise((resolve) => setTimeout(resolve, 5500));
      } finally {
        for (const instance of instances) await instance.close();
        await provider.stop();
        rmSync(stateDir, { recursive: true, force: true });
      }
      const running = leaves(configs[0]);
      const unread = documentedVariables().flatMap((variable) => {
        const into = parsedInto(variable);
        return into.some((leaf) => wasRead(leaf, read, running)) ? [] : [`${variable} → ${into.join(', ')}`];
      });
      expect(unread).toEqual([]);
    },
    90_000,
  );
});

describe('signing settings on a running instance', () => {
  /** An instance on a fresh topic with these settings, one certificate issued through it, then closed: the log it left. */
  async function issueOneWith(env: Record<string, string>): Promise<{ log: LoggedRecord[]; jwks: Response }> {
    const [port, internalPort] = [await freePort(), await freePort()];
    const topic = uniqueTopic('signing-settings');
    const instance = await startInstance(
      loadConfig({
        PORT: String(port),
        HOST: '127.0.0.1',
        KAFKA_BROKERS: broker().brokers.join(','),
        KAFKA_TOPIC: topic,
        INTERNAL_PORT: String(internalPort),
        ADVERTISED_URL: `http://127.0.0.1:${internalPort}`,
        SHARE_CLASSES: 'CS=100',
        API_KEYS_FILE: ADMIN.file,
        LOG_LEVEL: 'silent',
        ...env,
      }),
      createLogger('silent'),
    );
    try {
      expect((await issue(`http://127.0.0.1:${port}`, 'CS', 1)).status).toBe(201);
      return { log: await readLog(topic), jwks: await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`) };
    } finally {
      await instance.close();
    }
  }

  it('SIGNING_DISABLED=1 writes records without a seal, and publishes no keys', async () => {
    const { log, jwks } = await issueOneWith({ SIGNING_DISABLED: '1' });
    expect(log.map(({ record, seal }) => ({ certificate: record?.id, seal: seal ?? record?.seal }))).toEqual([
      { certificate: 'CS-1', seal: undefined },
    ]);
    expect(jwks.status).toBe(404);
  });

  it("SIGNING_KEY_FILE signs every write with the file's key, and publishes that key", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'signing-setting-')), 'signing-keys.json');
    const kid = runSigningCommand(['create'], file).at(-1)!;
    const { log, jwks } = await issueOneWith({ SIGNING_KEY_FILE: file });
    expect(log.map(({ record, seal }) => record?.seal ?? seal?.head.key)).toEqual([1, kid]);
    expect(jwks.status).toBe(200);
    expect(((await jwks.json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid)).toEqual([kid]);
  });
});
