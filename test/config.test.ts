import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseKafkaSecurity, parseKeyWindow, parseShareClasses } from '../src/config.js';

describe('configuration', () => {
  it('defaults to the original authorized totals, port 3000, topic certificates and the embedded broker', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      topic: 'certificates',
      kafkaBrokers: undefined,
      shareClasses: [
        { code: 'CS', authorized: 2_600_000 },
        { code: 'PS', authorized: 750_000 },
      ],
    });
  });

  it('reads brokers and any uppercase class codes', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:9092, b:9093', SHARE_CLASSES: 'CS=10,PREF=5,B=1' });
    expect(config.kafkaBrokers).toEqual(['a:9092', 'b:9093']);
    expect(config.shareClasses.map((shareClass) => shareClass.code)).toEqual(['CS', 'PREF', 'B']);
  });

  it.each([
    ['PORT', 'abc', 'Expected `PORT` to be an integer from 0 to 65535, got "abc"'],
    ['PORT', '70000', 'Expected `PORT` to be an integer from 0 to 65535'],
    ['SHARE_CLASSES', 'cs=10', 'Expected `SHARE_CLASSES` to be a comma-separated list of CODE=AUTHORIZED'],
    ['SHARE_CLASSES', 'CS=0', 'Expected `SHARE_CLASSES`'],
    ['SHARE_CLASSES', 'CS=10,CS=20', 'each code once'],
    ['KAFKA_BROKERS', 'localhost', 'Expected `KAFKA_BROKERS` to be a comma-separated list of host:port'],
    ['KAFKA_TOPIC', 'bad topic!', 'Expected `KAFKA_TOPIC` to be a Kafka topic name'],
    ['IDEMPOTENCY_WINDOW_MS', '999', 'Expected `IDEMPOTENCY_WINDOW_MS` to be an integer from 1000 to 31536000000, got "999"'],
    ['IDEMPOTENCY_MAX_KEYS', '0', 'Expected `IDEMPOTENCY_MAX_KEYS` to be an integer from 1 to 100000000, got "0"'],
    ['SHARE_CLASSES', `CS=10:${'x'.repeat(101)}`, 'names up to 100 characters'],
    ['SHARE_CLASSES', 'CS=10:Common\u0007Stock', 'Expected `SHARE_CLASSES`'],
    ['COMPANY_NAME', 'x'.repeat(121), 'Expected `COMPANY_NAME` to be up to 120 characters without control characters'],
    ['COMPANY_NAME', 'Salt\nBae', 'Expected `COMPANY_NAME`'],
    ['PUBLIC_URL', 'shares.example.com', 'Expected `PUBLIC_URL` to be an http:// or https:// URL, got "shares.example.com"'],
  ])('refuses %s=%s with a clear message', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
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
    expect(config.shareClasses).toEqual([
      { code: 'CS', authorized: 2_600_000, name: 'Common Stock' },
      { code: 'PS', authorized: 750_000 },
      { code: 'B', authorized: 10, name: 'Class B Voting' },
    ]);
    expect(config.companyName).toBe('Salt Bae Holdings, Inc.');
    expect(config.publicUrl).toBe('https://shares.example.com');
    expect(loadConfig({})).toMatchObject({ companyName: 'Example Corporation', publicUrl: undefined });
  });

  it('remembers idempotency keys for 24 hours and the newest million by default, the same for the service and the audit', () => {
    expect(loadConfig({}).keyWindow).toEqual({ windowMs: 86_400_000, maxKeys: 1_000_000 });
    const env = { IDEMPOTENCY_WINDOW_MS: '3600000', IDEMPOTENCY_MAX_KEYS: '5000' };
    expect(loadConfig(env).keyWindow).toEqual({ windowMs: 3_600_000, maxKeys: 5000 });
    expect(parseKeyWindow(env)).toEqual(loadConfig(env).keyWindow);
  });
});

describe('Kafka TLS and SASL settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-'));
  const pem = join(dir, 'ca.pem');
  writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, 's3cret\n');

  it('is plaintext without any setting, as before', () => {
    expect(parseKafkaSecurity({})).toEqual({});
    expect(loadConfig({}).kafkaSecurity).toEqual({});
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
      parseKafkaSecurity({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD_FILE: passwordFile }),
    ).toEqual({
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 's3cret' },
    });
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
