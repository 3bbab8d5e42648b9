import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ClusterSettings } from './cluster/settings.js';
import { CLASS_CODE_PATTERN } from './core/certificate.js';
import { CertificateError } from './core/errors.js';
import type { EdgeSettings } from './http/edge-settings.js';
import type { KeyWindow } from './core/remembered-keys.js';
import type { ShareClassConfig } from './core/share-class.js';
import { SASL_MECHANISMS, type KafkaConnection, type KafkaSecurity, type SaslMechanism } from './log/kafka-config.js';
import type { TopicSettings } from './log/topic.js';
import { LOG_LEVELS, type LoggingSettings, type LogLevel } from './monitoring/logger.js';
import type { PaperSettings } from './paper/printer.js';
import type { IssuingSettings } from './service.js';
import type { StateSettings } from './state/snapshots.js';

/** Where this instance answers HTTP (PORT, HOST). */
export interface HttpSettings {
  readonly port: number;
  readonly host: string;
}

/** How to reach Kafka; without brokers, the local broker is started on `localPort` (KAFKA_PORT). */
export interface KafkaSettings extends Omit<KafkaConnection, 'brokers'> {
  readonly brokers: readonly string[] | undefined;
  readonly localPort: number;
}

/** The whole configuration, by concern: each part goes whole to the part of the service that acts on it. */
export interface Config {
  readonly http: HttpSettings;
  readonly kafka: KafkaSettings;
  readonly topic: TopicSettings;
  readonly issuing: IssuingSettings;
  readonly cluster: ClusterSettings;
  readonly paper: PaperSettings;
  readonly state: StateSettings;
  readonly logging: LoggingSettings;
  readonly edge: EdgeSettings;
}

/** Every default, in one place. */
export const DEFAULTS = {
  port: 3000,
  host: '0.0.0.0',
  /** The local broker's port, and the brokers `npm run audit` reads when KAFKA_BROKERS is unset. */
  kafkaPort: 9092,
  topic: 'certificates',
  shareClasses: 'CS=2600000,PS=750000',
  replicationFactor: 1,
  minInsyncReplicas: 1,
  flushEveryWrite: false,
  commitTimeoutMs: 5000,
  writerSessionTimeoutMs: 6000,
  writerWaitMs: 10_000,
  /** A day, as Stripe keeps keys, and a million keys (about 150 MiB: docs/operations.md gives the measurement). */
  keyWindow: { windowMs: 24 * 60 * 60 * 1000, maxKeys: 1_000_000 } satisfies KeyWindow,
  companyName: 'Example Corporation',
  /** At ~7 µs a record, under a second of reading after a restart. */
  snapshotEveryRecords: 100_000,
  logLevel: 'info' satisfies LogLevel,
  /** Log 1 in this many requests answered below 500; every 5xx is logged. */
  logSample: 100,
  /** Requests waiting per class, and per writer a follower forwards to: 10,000 is ~1 s of an instance's throughput. */
  mailboxLimit: 10_000,
  forwardQueueLimit: 10_000,
  /** Above an instance's capacity (~12,000/s, docs/benchmark.md): never limits one honest client, only a runaway next to others. */
  rateLimit: { perSecond: 20_000 },
  /** The 1,000-connection bench, a load balancer's pool and the other instances' calls, with room to spare. */
  maxConnections: 4096,
  trustProxyHops: 0,
} as const;

/** The writer election's group unless WRITER_GROUP names another: one group per topic. */
export const writerGroupOf = (topic: string): string => `${topic}.writer`;

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

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  return integer(env, name, fallback ? 1 : 0, 0, 1) === 1;
}

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name]?.trim() || undefined;
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

/** `KAFKA_BROKERS`; undefined when unset (the service then starts the local broker). */
function brokers(env: NodeJS.ProcessEnv): string[] | undefined {
  const raw = text(env, 'KAFKA_BROKERS');
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((broker) => broker.trim());
  if (list.some((broker) => !/^[^\s:]+:\d{1,5}$/.test(broker))) throw invalid('KAFKA_BROKERS', 'a comma-separated list of host:port', raw);
  return list;
}

function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const level = text(env, 'LOG_LEVEL') ?? DEFAULTS.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw invalid('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, level);
  return level as LogLevel;
}

function topicName(env: NodeJS.ProcessEnv): string {
  const topic = text(env, 'KAFKA_TOPIC') ?? DEFAULTS.topic;
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw invalid('KAFKA_TOPIC', 'a Kafka topic name (letters, digits, . _ -)', topic);
  return topic;
}

function httpUrl(name: string, url: string): string {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw invalid(name, 'an http:// or https:// URL', url);
  return url.replace(/\/+$/, '');
}

function companyName(env: NodeJS.ProcessEnv): string {
  const name = text(env, 'COMPANY_NAME') ?? DEFAULTS.companyName;
  if ([...name].length > 120 || /\p{Cc}/u.test(name))
    throw invalid('COMPANY_NAME', 'up to 120 characters without control characters', name);
  return name;
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
  const path = text(env, name);
  if (path === undefined) return undefined;
  const pem = readNamedFile(name, path, 'a readable PEM file');
  if (!pem.includes('-----BEGIN ')) throw invalid(name, 'a PEM file (-----BEGIN ...)', path);
  return pem;
}

/**
 * TLS (`KAFKA_TLS`, `KAFKA_TLS_CA_FILE`, `KAFKA_TLS_CERT_FILE`, `KAFKA_TLS_KEY_FILE`,
 * `KAFKA_TLS_REJECT_UNAUTHORIZED`) and SASL (`KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`,
 * `KAFKA_SASL_PASSWORD` or `KAFKA_SASL_PASSWORD_FILE`).
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
  const mechanism = text(env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  let sasl: KafkaSecurity['sasl'];
  if (mechanism !== undefined) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
      throw invalid('KAFKA_SASL_MECHANISM', SASL_MECHANISMS.join(', '), env.KAFKA_SASL_MECHANISM ?? '');
    }
    const username = text(env, 'KAFKA_SASL_USERNAME');
    if (username === undefined) throw invalid('KAFKA_SASL_USERNAME', `a user name (KAFKA_SASL_MECHANISM is ${mechanism})`, '');
    const passwordFile = text(env, 'KAFKA_SASL_PASSWORD_FILE');
    let password = env.KAFKA_SASL_PASSWORD;
    if (passwordFile !== undefined)
      password = readNamedFile('KAFKA_SASL_PASSWORD_FILE', passwordFile, 'a readable file').replace(/\r?\n$/, '');
    if (!password)
      throw invalid('KAFKA_SASL_PASSWORD', `a password, or KAFKA_SASL_PASSWORD_FILE (KAFKA_SASL_MECHANISM is ${mechanism})`, '');
    sasl = { mechanism: mechanism as SaslMechanism, username, password };
  }
  return { ...(tls === undefined ? {} : { tls }), ...(sasl === undefined ? {} : { sasl }) };
}

/** TRUST_PROXY, MAX_CONNECTIONS, RATE_LIMIT_PER_SECOND (0: no limit) and RATE_LIMIT_BURST. */
function edgeSettings(env: NodeJS.ProcessEnv): EdgeSettings {
  const perSecond = integer(env, 'RATE_LIMIT_PER_SECOND', DEFAULTS.rateLimit.perSecond, 0, 10_000_000);
  // Two seconds' worth by default: a client that paused may catch up at once.
  const burst = integer(env, 'RATE_LIMIT_BURST', Math.max(1, 2 * perSecond), 1, 100_000_000);
  return {
    trustProxyHops: integer(env, 'TRUST_PROXY', DEFAULTS.trustProxyHops, 0, 10),
    maxConnections: integer(env, 'MAX_CONNECTIONS', DEFAULTS.maxConnections, 1, 1_000_000),
    rateLimit: perSecond === 0 ? undefined : { perSecond, burst },
  };
}

/**
 * Reads and validates the whole configuration once, at start; a bad value stops the service with a
 * clear message. The only place that reads the environment (test/config.test.ts holds it to that).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = integer(env, 'PORT', DEFAULTS.port, 0, 65535);
  const host = text(env, 'HOST') ?? DEFAULTS.host;
  const topic = topicName(env);
  const publicUrl = text(env, 'PUBLIC_URL');
  const advertised = text(env, 'ADVERTISED_URL') ?? `http://${host === '0.0.0.0' || host === '::' ? hostname() : host}:${port}`;
  return {
    http: { port, host },
    kafka: {
      brokers: brokers(env),
      localPort: integer(env, 'KAFKA_PORT', DEFAULTS.kafkaPort, 1, 65535),
      security: parseKafkaSecurity(env),
      debug: text(env, 'KAFKAJS_DEBUG') !== undefined,
    },
    topic: {
      name: topic,
      replicationFactor: integer(env, 'KAFKA_REPLICATION_FACTOR', DEFAULTS.replicationFactor, 1, 100),
      minInsyncReplicas: integer(env, 'KAFKA_MIN_INSYNC_REPLICAS', DEFAULTS.minInsyncReplicas, 1, 100),
      flushEveryWrite: flag(env, 'KAFKA_FLUSH_EVERY_WRITE', DEFAULTS.flushEveryWrite),
    },
    issuing: {
      shareClasses: parseShareClasses(text(env, 'SHARE_CLASSES') ?? DEFAULTS.shareClasses),
      keyWindow: {
        windowMs: integer(env, 'IDEMPOTENCY_WINDOW_MS', DEFAULTS.keyWindow.windowMs, 1000, 365 * 24 * 60 * 60 * 1000),
        maxKeys: integer(env, 'IDEMPOTENCY_MAX_KEYS', DEFAULTS.keyWindow.maxKeys, 1, 100_000_000),
      },
      commitTimeoutMs: integer(env, 'COMMIT_TIMEOUT_MS', DEFAULTS.commitTimeoutMs, 100, 60_000),
      mailboxLimit: integer(env, 'MAILBOX_LIMIT', DEFAULTS.mailboxLimit, 1, 10_000_000),
      forwardQueueLimit: integer(env, 'FORWARD_QUEUE_LIMIT', DEFAULTS.forwardQueueLimit, 1, 10_000_000),
    },
    cluster: {
      advertisedUrl: httpUrl('ADVERTISED_URL', advertised),
      writerGroup: text(env, 'WRITER_GROUP') ?? writerGroupOf(topic),
      writerSessionTimeoutMs: integer(env, 'WRITER_SESSION_TIMEOUT_MS', DEFAULTS.writerSessionTimeoutMs, 1000, 300_000),
      writerWaitMs: integer(env, 'WRITER_WAIT_MS', DEFAULTS.writerWaitMs, 0, 120_000),
    },
    paper: {
      companyName: companyName(env),
      publicUrl: publicUrl === undefined ? undefined : httpUrl('PUBLIC_URL', publicUrl),
    },
    state: {
      dir: text(env, 'STATE_DIR'),
      everyRecords: integer(env, 'SNAPSHOT_EVERY_RECORDS', DEFAULTS.snapshotEveryRecords, 1000, 100_000_000),
    },
    logging: {
      level: logLevel(env),
      sample: integer(env, 'LOG_SAMPLE', DEFAULTS.logSample, 0, 1_000_000),
    },
    edge: edgeSettings(env),
  };
}

/** The settings `npm run audit` reads: the service's, with the local broker's address when KAFKA_BROKERS is unset. */
export function loadAuditConfig(env: NodeJS.ProcessEnv = process.env): Pick<Config, 'topic' | 'issuing'> & { kafka: KafkaConnection } {
  const { kafka, topic, issuing } = loadConfig(env);
  return { kafka: { ...kafka, brokers: kafka.brokers ?? [`127.0.0.1:${kafka.localPort}`] }, topic, issuing };
}
