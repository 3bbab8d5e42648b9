import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { CLASS_CODE_PATTERN } from './actors/certificate.js';
import { DEFAULT_KEY_WINDOW, type KeyWindow } from './actors/remembered-keys.js';
import type { ShareClassConfig } from './actors/share-class-actor.js';
import { CertificateError } from './errors.js';
import { DEFAULT_COMPANY_NAME } from './paper/face.js';
import { DEFAULT_SNAPSHOT_EVERY_RECORDS } from './state/snapshots.js';
import { SASL_MECHANISMS, type KafkaSecurity, type SaslMechanism } from './log/kafka-config.js';
import { DEFAULT_LOG_SAMPLE, LOG_LEVELS, type LogLevel } from './logger.js';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Undefined: start the embedded local broker from scripts/kafka. */
  readonly kafkaBrokers: readonly string[] | undefined;
  /** TLS and SASL towards the brokers; empty for a plaintext cluster. */
  readonly kafkaSecurity: KafkaSecurity;
  readonly topic: string;
  readonly shareClasses: readonly ShareClassConfig[];
  readonly minInsyncReplicas: number;
  readonly replicationFactor: number;
  readonly commitTimeoutMs: number;
  /** The URL other instances reach this one at (forwarded POSTs go to the writer's). */
  readonly advertisedUrl: string;
  /** The consumer group that elects the writer. */
  readonly writerGroup: string;
  /** A writer that stops heartbeating is replaced after this long. */
  readonly writerSessionTimeoutMs: number;
  /** How long a POST waits for a writer to be known before `503 no_writer`. */
  readonly writerWaitMs: number;
  /** How long and how many idempotency keys are remembered (src/actors/remembered-keys.ts). */
  readonly keyWindow: KeyWindow;
  readonly flushEveryWrite: boolean;
  readonly logLevel: LogLevel;
  /** Log 1 in this many requests answered below 500 (0: none); every 5xx is logged. */
  readonly logSample: number;
  /** The issuing company, printed on paper certificates. */
  readonly companyName: string;
  /** The base URL clients reach the service at, printed in verification links; undefined: the request's own origin. */
  readonly publicUrl: string | undefined;
  /** Where this instance keeps snapshots of its log state (src/state/); undefined: none, read the whole log at start. */
  readonly stateDir: string | undefined;
  /** A snapshot is taken each time the state has moved this many records past the last one. */
  readonly snapshotEveryRecords: number;
}

export const DEFAULT_SHARE_CLASSES = 'CS=2600000,PS=750000';
// CODE=AUTHORIZED, optionally :Display Name (printable, no comma: the list's separator).
const SHARE_CLASS = new RegExp(`^\\s*(${CLASS_CODE_PATTERN})\\s*=\\s*(\\d{1,16})\\s*(?::\\s*([^,\\p{Cc}]{1,100}?))?\\s*$`, 'u');

function invalid(name: string, expected: string, got: string): CertificateError {
  return new CertificateError('invalid_config', `Expected \`${name}\` to be ${expected}, got ${JSON.stringify(got)}`);
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(name, `an integer from ${min} to ${max}`, raw);
  }
  return value;
}

export function parseShareClasses(raw: string): ShareClassConfig[] {
  const expected =
    'a comma-separated list of CODE=AUTHORIZED[:Name], e.g. CS=2600000:Common Stock,PS=750000 (codes are 1-16 uppercase letters, totals positive integers, names up to 100 characters)';
  const classes: ShareClassConfig[] = [];
  for (const part of raw.split(',')) {
    const match = SHARE_CLASS.exec(part);
    const authorized = Number(match?.[2]);
    if (!match || !Number.isSafeInteger(authorized) || authorized < 1) throw invalid('SHARE_CLASSES', expected, raw);
    const code = match[1]!;
    if (classes.some((existing) => existing.code === code)) throw invalid('SHARE_CLASSES', `${expected}, each code once`, raw);
    const name = match[3]?.trim();
    classes.push(name ? { code, authorized, name } : { code, authorized });
  }
  return classes;
}

/** `KAFKA_BROKERS`; undefined when unset (the service then starts the embedded broker). */
export function parseBrokers(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const list = raw.split(',').map((broker) => broker.trim());
  if (list.some((broker) => !/^[^\s:]+:\d{1,5}$/.test(broker))) throw invalid('KAFKA_BROKERS', 'a comma-separated list of host:port', raw);
  return list;
}

function logLevel(raw: string | undefined): LogLevel {
  const level = raw?.trim() || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw invalid('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, level);
  return level as LogLevel;
}

export function parseTopic(raw: string | undefined): string {
  const topic = raw?.trim() || 'certificates';
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw invalid('KAFKA_TOPIC', 'a Kafka topic name (letters, digits, . _ -)', topic);
  return topic;
}

function httpUrl(name: string, url: string): string {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw invalid(name, 'an http:// or https:// URL', url);
  return url.replace(/\/+$/, '');
}

function advertisedUrl(raw: string | undefined, host: string, port: number): string {
  const fallback = `http://${host === '0.0.0.0' || host === '::' ? hostname() : host}:${port}`;
  return httpUrl('ADVERTISED_URL', raw?.trim() || fallback);
}

function companyName(raw: string | undefined): string {
  const name = raw?.trim() || DEFAULT_COMPANY_NAME;
  if ([...name].length > 120 || /\p{Cc}/u.test(name))
    throw invalid('COMPANY_NAME', 'up to 120 characters without control characters', name);
  return name;
}

/** `IDEMPOTENCY_WINDOW_MS` and `IDEMPOTENCY_MAX_KEYS`: the service and the audit must read the same. */
export function parseKeyWindow(env: NodeJS.ProcessEnv): KeyWindow {
  return {
    windowMs: integer(env, 'IDEMPOTENCY_WINDOW_MS', DEFAULT_KEY_WINDOW.windowMs, 1000, 365 * 24 * 60 * 60 * 1000),
    maxKeys: integer(env, 'IDEMPOTENCY_MAX_KEYS', DEFAULT_KEY_WINDOW.maxKeys, 1, 100_000_000),
  };
}

/** The text of the file a variable names; a missing or unreadable file stops the service naming the variable. */
function readNamedFile(name: string, path: string, expected: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw invalid(name, expected, `${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

function pemFile(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const path = env[name]?.trim();
  if (!path) return undefined;
  const text = readNamedFile(name, path, 'a readable PEM file');
  if (!text.includes('-----BEGIN ')) throw invalid(name, 'a PEM file (-----BEGIN ...)', path);
  return text;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  return integer(env, name, fallback ? 1 : 0, 0, 1) === 1;
}

/**
 * TLS (`KAFKA_TLS`, `KAFKA_TLS_CA_FILE`, `KAFKA_TLS_CERT_FILE`, `KAFKA_TLS_KEY_FILE`,
 * `KAFKA_TLS_REJECT_UNAUTHORIZED`) and SASL (`KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`,
 * `KAFKA_SASL_PASSWORD` or `KAFKA_SASL_PASSWORD_FILE`): the service and the audit read the same.
 */
export function parseKafkaSecurity(env: NodeJS.ProcessEnv): KafkaSecurity {
  const ca = pemFile(env, 'KAFKA_TLS_CA_FILE');
  const cert = pemFile(env, 'KAFKA_TLS_CERT_FILE');
  const key = pemFile(env, 'KAFKA_TLS_KEY_FILE');
  if ((cert === undefined) !== (key === undefined)) {
    throw invalid(
      'KAFKA_TLS_CERT_FILE',
      'set together with KAFKA_TLS_KEY_FILE (a client certificate and its key)',
      env.KAFKA_TLS_CERT_FILE ?? '',
    );
  }
  // Naming a CA or a client certificate means TLS; KAFKA_TLS=1 alone trusts the system's CAs.
  const tls = flag(env, 'KAFKA_TLS', ca !== undefined || cert !== undefined)
    ? {
        rejectUnauthorized: flag(env, 'KAFKA_TLS_REJECT_UNAUTHORIZED', true),
        ...(ca === undefined ? {} : { ca }),
        ...(cert === undefined || key === undefined ? {} : { cert, key }),
      }
    : undefined;
  const rawMechanism = env.KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  let sasl: KafkaSecurity['sasl'];
  if (rawMechanism) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(rawMechanism)) {
      throw invalid('KAFKA_SASL_MECHANISM', SASL_MECHANISMS.join(', '), env.KAFKA_SASL_MECHANISM ?? '');
    }
    const username = env.KAFKA_SASL_USERNAME?.trim();
    if (!username) throw invalid('KAFKA_SASL_USERNAME', `a user name (KAFKA_SASL_MECHANISM is ${rawMechanism})`, '');
    const passwordFile = env.KAFKA_SASL_PASSWORD_FILE?.trim();
    let password = env.KAFKA_SASL_PASSWORD;
    if (passwordFile) password = readNamedFile('KAFKA_SASL_PASSWORD_FILE', passwordFile, 'a readable file').replace(/\r?\n$/, '');
    if (!password)
      throw invalid('KAFKA_SASL_PASSWORD', `a password, or KAFKA_SASL_PASSWORD_FILE (KAFKA_SASL_MECHANISM is ${rawMechanism})`, '');
    sasl = { mechanism: rawMechanism as SaslMechanism, username, password };
  }
  return { ...(tls === undefined ? {} : { tls }), ...(sasl === undefined ? {} : { sasl }) };
}

/** Reads and validates the whole configuration once, at start; a bad value stops the service with a clear message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST?.trim() || '0.0.0.0';
  const topic = parseTopic(env.KAFKA_TOPIC);
  return {
    port,
    host,
    kafkaBrokers: parseBrokers(env.KAFKA_BROKERS),
    kafkaSecurity: parseKafkaSecurity(env),
    topic,
    shareClasses: parseShareClasses(env.SHARE_CLASSES?.trim() || DEFAULT_SHARE_CLASSES),
    minInsyncReplicas: integer(env, 'KAFKA_MIN_INSYNC_REPLICAS', 1, 1, 100),
    replicationFactor: integer(env, 'KAFKA_REPLICATION_FACTOR', 1, 1, 100),
    commitTimeoutMs: integer(env, 'COMMIT_TIMEOUT_MS', 5000, 100, 60_000),
    advertisedUrl: advertisedUrl(env.ADVERTISED_URL, host, port),
    writerGroup: env.WRITER_GROUP?.trim() || `${topic}.writer`,
    writerSessionTimeoutMs: integer(env, 'WRITER_SESSION_TIMEOUT_MS', 6000, 1000, 300_000),
    writerWaitMs: integer(env, 'WRITER_WAIT_MS', 10_000, 0, 120_000),
    keyWindow: parseKeyWindow(env),
    flushEveryWrite: integer(env, 'KAFKA_FLUSH_EVERY_WRITE', 0, 0, 1) === 1,
    logLevel: logLevel(env.LOG_LEVEL),
    logSample: integer(env, 'LOG_SAMPLE', DEFAULT_LOG_SAMPLE, 0, 1_000_000),
    companyName: companyName(env.COMPANY_NAME),
    publicUrl: env.PUBLIC_URL?.trim() ? httpUrl('PUBLIC_URL', env.PUBLIC_URL.trim()) : undefined,
    stateDir: env.STATE_DIR?.trim() || undefined,
    snapshotEveryRecords: integer(env, 'SNAPSHOT_EVERY_RECORDS', DEFAULT_SNAPSHOT_EVERY_RECORDS, 1000, 100_000_000),
  };
}
