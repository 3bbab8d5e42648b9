import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { MAX_ISSUER_LENGTH, type OidcSettings } from './auth/oidc.js';
import { isTrustedProviderUrl } from './auth/oidc-discovery.js';
import { MIN_SECRET_BYTES } from './cluster/cluster-auth.js';
import type { ClusterSettings, InternalSettings } from './cluster/settings.js';
import { join, resolve } from 'node:path';
import type { AuthSettings } from './auth/credentials.js';
import { CLASS_CODE_PATTERN } from './core/share-class.js';
import { CertificateError } from './core/errors.js';
import type { EdgeSettings } from './http/edge-settings.js';
import type { ConsoleSettings } from './http/console-session.js';
import type { KeyWindow } from './core/remembered-keys.js';
import type { ShareClassConfig } from './core/share-class.js';
import type { KafkaConnection } from './log/kafka-config.js';
import { SASL_MECHANISMS, type KafkaSecurity, type SaslMechanism } from './log/kafka-security.js';
import type { TopicSettings } from './log/topic.js';
import { LOG_LEVELS, type LoggingSettings, type LogLevel } from './monitoring/logger.js';
import type { PaperSettings } from './paper/printer.js';
import type { IssuingSettings } from './service.js';
import type { SigningSettings } from './signing/signing-start.js';
import type { IssuerSettings } from './ocf/export.js';
import { isDate } from './core/terms.js';
import type { StateSettings } from './state/snapshots.js';
import { MIN_STATE_KEY_BYTES } from './state/state-key.js';

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
  readonly internal: InternalSettings;
  readonly paper: PaperSettings;
  readonly state: StateSettings;
  readonly logging: LoggingSettings;
  readonly auth: AuthSettings;
  readonly edge: EdgeSettings;
  readonly signing: SigningSettings;
  readonly issuer: IssuerSettings;
  readonly console: ConsoleSettings;
}

/** Every default, in one place. */
export const DEFAULTS = {
  port: 3000,
  /** Loopback: a service nobody configured answers only this machine. */
  host: '127.0.0.1',
  /** Where the development keys file goes when STATE_DIR is unset. */
  developmentStateDir: '.state',
  /** The keys file's name in the state directory, when API_KEYS_FILE is unset. */
  developmentKeysFile: 'api-keys.json',
  /** The signing key file's name in the state directory, when SIGNING_KEY_FILE is unset. */
  developmentSigningFile: 'signing-keys.json',
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
  /** Where the issuer was formed, as an OCF export states it (ISO 3166-1 alpha-2). */
  issuerCountry: 'US',
  /** At ~7 µs a record, under a second of reading after a restart. */
  snapshotEveryRecords: 100_000,
  logLevel: 'info' satisfies LogLevel,
  /** Log 1 in this many requests answered below 500; every 5xx is logged. */
  logSample: 100,
  /** The claim most providers (and Azure AD's app roles) put roles in. */
  oidcRolesClaim: 'roles',
  /** Clocks kept by NTP are within a second; 30 s covers a drifting one without keeping an expired token alive long. */
  oidcClockSkewSeconds: 30,
  /** Requests waiting per class, and per writer a follower forwards to: 10,000 is ~1 s of an instance's throughput. */
  mailboxLimit: 10_000,
  forwardQueueLimit: 10_000,
  /** Above an instance's capacity (~12,000/s, docs/benchmark.md): never limits one honest client, only a runaway next to others. */
  rateLimit: { perSecond: 20_000 },
  /** The 1,000-connection bench, a load balancer's pool and the other instances' calls, with room to spare. */
  maxConnections: 4096,
  trustProxyHops: 0,
  /** An hour of a working session; a longer one is a longer window for a browser left signed in. */
  consoleSessionMinutes: 60,
  /** Consoles streaming from one instance at once: a company's secretaries and auditors, many times over. */
  consoleLiveMax: 200,
  consoleScope: 'openid',
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

/** What an OCF export says of the issuer beside COMPANY_NAME (src/ocf/export.ts). */
function issuerSettings(env: NodeJS.ProcessEnv): IssuerSettings {
  const formationDate = text(env, 'ISSUER_FORMATION_DATE');
  if (formationDate !== undefined && !isDate(formationDate)) throw invalid('ISSUER_FORMATION_DATE', 'a date, YYYY-MM-DD', formationDate);
  const country = text(env, 'ISSUER_COUNTRY') ?? DEFAULTS.issuerCountry;
  if (!/^[A-Z]{2}$/.test(country)) throw invalid('ISSUER_COUNTRY', 'an ISO 3166-1 alpha-2 country code, e.g. US', country);
  return { legalName: companyName(env), country, ...(formationDate === undefined ? {} : { formationDate }) };
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

/** A certificate and its key, from two PEM files named together or not at all. */
function certificatePair(
  env: NodeJS.ProcessEnv,
  certName: string,
  keyName: string,
  what: string,
): { readonly cert: string; readonly key: string } | undefined {
  const cert = pemFile(env, certName);
  const key = pemFile(env, keyName);
  if ((cert === undefined) !== (key === undefined)) throw invalid(certName, `set together with ${keyName} (${what})`, env[certName] ?? '');
  return cert === undefined || key === undefined ? undefined : { cert, key };
}

/**
 * TLS (`KAFKA_TLS`, `KAFKA_TLS_CA_FILE`, `KAFKA_TLS_CERT_FILE`, `KAFKA_TLS_KEY_FILE`,
 * `KAFKA_TLS_REJECT_UNAUTHORIZED`) and SASL (`KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`,
 * `KAFKA_SASL_PASSWORD` or `KAFKA_SASL_PASSWORD_FILE`); SASL without TLS only with
 * `KAFKA_SASL_ALLOW_PLAINTEXT=1`, and then `plaintextSaslWarning` says so at every start.
 */
export function parseKafkaSecurity(env: NodeJS.ProcessEnv): KafkaSecurity {
  const ca = pemFile(env, 'KAFKA_TLS_CA_FILE');
  const client = certificatePair(env, 'KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE', 'a client certificate and its key');
  // Naming a CA or a client certificate means TLS; KAFKA_TLS=1 alone trusts the system's CAs.
  const tls = flag(env, 'KAFKA_TLS', ca !== undefined || client !== undefined)
    ? {
        rejectUnauthorized: flag(env, 'KAFKA_TLS_REJECT_UNAUTHORIZED', true),
        ...(ca === undefined ? {} : { ca }),
        ...(client === undefined ? {} : { cert: client.cert, key: client.key }),
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
    // PLAIN sends the password as it is, and SCRAM's exchange and every record after it are readable
    // and alterable by anyone on the path: without TLS, only on a network the operator vouches for.
    if (tls === undefined && !flag(env, 'KAFKA_SASL_ALLOW_PLAINTEXT', false)) {
      throw invalid(
        'KAFKA_SASL_MECHANISM',
        'used over TLS (set KAFKA_TLS=1 or KAFKA_TLS_CA_FILE), or allowed without it by KAFKA_SASL_ALLOW_PLAINTEXT=1',
        env.KAFKA_SASL_MECHANISM ?? '',
      );
    }
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

const OIDC_VARIABLES = ['OIDC_AUDIENCE', 'OIDC_ROLES_CLAIM', 'OIDC_CLOCK_SKEW_SECONDS'] as const;

/**
 * Bearer tokens from an OpenID provider (`OIDC_ISSUER`, `OIDC_AUDIENCE`, `OIDC_ROLES_CLAIM`,
 * `OIDC_CLOCK_SKEW_SECONDS`); undefined when `OIDC_ISSUER` is unset, and then none of the others may be.
 */
export function parseOidcSettings(env: NodeJS.ProcessEnv): OidcSettings | undefined {
  const issuer = text(env, 'OIDC_ISSUER');
  if (issuer === undefined) {
    const orphan = OIDC_VARIABLES.find((name) => text(env, name) !== undefined);
    if (orphan !== undefined)
      throw invalid(orphan, 'set only with OIDC_ISSUER (the provider whose tokens it applies to)', env[orphan] ?? '');
    return undefined;
  }
  const url = URL.canParse(issuer) ? new URL(issuer) : undefined;
  if (url === undefined || !isTrustedProviderUrl(url) || url.search !== '' || url.hash !== '' || issuer.length > MAX_ISSUER_LENGTH)
    throw invalid(
      'OIDC_ISSUER',
      `an https:// URL without query or fragment, up to ${MAX_ISSUER_LENGTH} characters (http:// only on a loopback address)`,
      issuer,
    );
  const audience = text(env, 'OIDC_AUDIENCE');
  if (audience === undefined || audience.length > 300)
    throw invalid('OIDC_AUDIENCE', "this service's identifier at the provider, up to 300 characters (OIDC_ISSUER is set)", audience ?? '');
  const rolesClaim = text(env, 'OIDC_ROLES_CLAIM') ?? DEFAULTS.oidcRolesClaim;
  if (rolesClaim.length > 200 || /\p{Cc}|\s/u.test(rolesClaim))
    throw invalid('OIDC_ROLES_CLAIM', 'a claim name or dotted path (realm_access.roles), up to 200 characters without spaces', rolesClaim);
  return {
    issuer,
    audience,
    rolesClaim,
    clockSkewSeconds: integer(env, 'OIDC_CLOCK_SKEW_SECONDS', DEFAULTS.oidcClockSkewSeconds, 0, 300),
  };
}

/** A secret read from the file a variable names, without its final newline, of at least `minBytes`. */
function secretFile(env: NodeJS.ProcessEnv, name: string, minBytes: number): string | undefined {
  const path = text(env, name);
  if (path === undefined) return undefined;
  const secret = readNamedFile(name, path, `a readable file of at least ${minBytes} bytes`).replace(/\r?\n$/, '');
  const size = Buffer.byteLength(secret);
  if (size < minBytes)
    throw invalid(name, `a file of at least ${minBytes} bytes (e.g. from openssl rand -base64 32)`, `${path} (${size} bytes)`);
  return secret;
}

const CONSOLE_CLIENT_VARIABLES = ['OIDC_CONSOLE_CLIENT_ID', 'OIDC_CONSOLE_CLIENT_SECRET_FILE', 'OIDC_CONSOLE_SCOPE'] as const;

/**
 * The console (CONSOLE_SESSION_MINUTES, CONSOLE_SESSION_KEY_FILE, CONSOLE_LIVE_MAX) and its client
 * at the identity provider (OIDC_CONSOLE_CLIENT_ID with OIDC_CONSOLE_CLIENT_SECRET_FILE, and
 * OIDC_CONSOLE_SCOPE), which only OIDC_ISSUER's provider can be.
 */
function consoleSettings(env: NodeJS.ProcessEnv, oidc: OidcSettings | undefined): ConsoleSettings {
  const clientId = text(env, 'OIDC_CONSOLE_CLIENT_ID');
  const clientSecret = secretFile(env, 'OIDC_CONSOLE_CLIENT_SECRET_FILE', 1);
  const scope = text(env, 'OIDC_CONSOLE_SCOPE') ?? DEFAULTS.consoleScope;
  if (clientId === undefined) {
    const orphan = CONSOLE_CLIENT_VARIABLES.find((name) => text(env, name) !== undefined);
    if (orphan !== undefined) throw invalid(orphan, 'set only with OIDC_CONSOLE_CLIENT_ID', env[orphan] ?? '');
  } else {
    if (oidc === undefined)
      throw invalid('OIDC_CONSOLE_CLIENT_ID', 'set only with OIDC_ISSUER (the provider the console signs in with)', clientId);
    if (clientId.length > 200 || /\p{Cc}/u.test(clientId))
      throw invalid('OIDC_CONSOLE_CLIENT_ID', 'a client id of up to 200 characters', clientId);
    if (clientSecret === undefined)
      throw invalid('OIDC_CONSOLE_CLIENT_SECRET_FILE', 'set with OIDC_CONSOLE_CLIENT_ID (the client’s secret)', '');
    if (
      scope.length > 500 ||
      !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(scope) ||
      !scope.split(' ').includes('openid')
    )
      throw invalid('OIDC_CONSOLE_SCOPE', 'space-separated scopes including openid, up to 500 characters', scope);
  }
  return {
    sessionMinutes: integer(env, 'CONSOLE_SESSION_MINUTES', DEFAULTS.consoleSessionMinutes, 1, 24 * 60),
    sessionSecret: secretFile(env, 'CONSOLE_SESSION_KEY_FILE', 32),
    liveMax: integer(env, 'CONSOLE_LIVE_MAX', DEFAULTS.consoleLiveMax, 1, 100_000),
    client: clientId === undefined || clientSecret === undefined ? undefined : { clientId, clientSecret, scope },
  };
}

/** STATE_KEY_FILE's key, which authenticates the snapshots in STATE_DIR; undefined when unset. */
function stateKeyOf(env: NodeJS.ProcessEnv, dir: string | undefined): string | undefined {
  const path = text(env, 'STATE_KEY_FILE');
  if (path === undefined) return undefined;
  if (dir === undefined) throw invalid('STATE_KEY_FILE', 'set together with STATE_DIR (the snapshots it authenticates)', path);
  const key = readNamedFile('STATE_KEY_FILE', path, 'a readable file').replace(/\r?\n$/, '');
  const size = Buffer.byteLength(key);
  if (size < MIN_STATE_KEY_BYTES) {
    throw invalid(
      'STATE_KEY_FILE',
      `a file of at least ${MIN_STATE_KEY_BYTES} bytes (e.g. from openssl rand -base64 32)`,
      `${path} (${size} bytes)`,
    );
  }
  return key;
}

/**
 * The internal listener (INTERNAL_PORT, PORT + 1 unless set), the cluster secret
 * (CLUSTER_SECRET_FILE) and TLS between instances (INTERNAL_TLS_*), with the URL this instance
 * advertises: https exactly when the internal listener has a certificate.
 */
function internalSettings(env: NodeJS.ProcessEnv, host: string, port: number): { internal: InternalSettings; advertisedUrl: string } {
  const internalPort = integer(env, 'INTERNAL_PORT', port === 0 ? 0 : Math.min(port + 1, 65535), 0, 65535);
  if (internalPort !== 0 && internalPort === port) throw invalid('INTERNAL_PORT', `a port other than PORT (${port})`, String(internalPort));
  const tls = certificatePair(env, 'INTERNAL_TLS_CERT_FILE', 'INTERNAL_TLS_KEY_FILE', 'the internal listener’s certificate and its key');
  const scheme = tls === undefined ? 'http' : 'https';
  const advertisedUrl = httpUrl(
    'ADVERTISED_URL',
    text(env, 'ADVERTISED_URL') ?? `${scheme}://${host === '0.0.0.0' || host === '::' ? hostname() : host}:${internalPort}`,
  );
  if (!advertisedUrl.startsWith(`${scheme}:`)) {
    throw invalid(
      'ADVERTISED_URL',
      tls === undefined
        ? 'an http:// URL, or an https:// one with INTERNAL_TLS_CERT_FILE and INTERNAL_TLS_KEY_FILE'
        : 'an https:// URL (INTERNAL_TLS_CERT_FILE is set)',
      advertisedUrl,
    );
  }
  const secretFile = text(env, 'CLUSTER_SECRET_FILE');
  const secret =
    secretFile === undefined
      ? undefined
      : readNamedFile('CLUSTER_SECRET_FILE', secretFile, `a readable file of at least ${MIN_SECRET_BYTES} bytes`).replace(/\r?\n$/, '');
  if (secret !== undefined && Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    throw invalid(
      'CLUSTER_SECRET_FILE',
      `a file of at least ${MIN_SECRET_BYTES} bytes (e.g. openssl rand -base64 48)`,
      `${secretFile} (${Buffer.byteLength(secret)} bytes)`,
    );
  }
  return { internal: { port: internalPort, secret, tls, ca: pemFile(env, 'INTERNAL_TLS_CA_FILE') }, advertisedUrl };
}

/** Whether HOST answers only this machine. */
export function isLoopback(host: string): boolean {
  return /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|\[::1\]|localhost)$/i.test(host);
}

/** The keys file: API_KEYS_FILE, else (no identity provider either) the state directory's development file. */
function keysFile(
  env: NodeJS.ProcessEnv,
  oidc: OidcSettings | undefined,
): { readonly file: string | undefined; readonly development: boolean } {
  const file = text(env, 'API_KEYS_FILE');
  if (file !== undefined) return { file: resolve(file), development: false };
  if (oidc !== undefined) return { file: undefined, development: false };
  const stateDir = text(env, 'STATE_DIR') ?? DEFAULTS.developmentStateDir;
  return { file: resolve(join(stateDir, DEFAULTS.developmentKeysFile)), development: true };
}

/**
 * API_KEYS_FILE, AUTH_DISABLED, and the refusals that keep an instance from opening unauthenticated:
 * NODE_ENV=production needs authentication configured, PUBLIC_URL and the cluster secret; a non-loopback HOST needs
 * authentication configured (no development key there); AUTH_DISABLED only on loopback, not in production.
 */
function authSettings(env: NodeJS.ProcessEnv, host: string, publicUrl: string | undefined, clusterSecret: boolean): AuthSettings {
  const oidc = parseOidcSettings(env);
  const { file, development } = keysFile(env, oidc);
  const disabled = flag(env, 'AUTH_DISABLED', false);
  const production = text(env, 'NODE_ENV') === 'production';
  const configure = '`API_KEYS_FILE` (keys made with `npm run keys -- create`) or `OIDC_ISSUER`';
  if (production) {
    const missing = [
      ...(development ? [`${configure} to be set`] : []),
      ...(publicUrl === undefined ? ['`PUBLIC_URL` to be set (the base of the verification links printed on paper)'] : []),
      // Without it an instance trusts no other: a production cluster would elect and forward nothing.
      ...(clusterSecret ? [] : ['`CLUSTER_SECRET_FILE` to be set (the secret every instance of the cluster shares)']),
    ];
    if (missing.length > 0) throw new CertificateError('invalid_config', `Expected ${missing.join(', and ')} when NODE_ENV=production`);
  }
  if (disabled && (production || !isLoopback(host))) {
    throw new CertificateError(
      'invalid_config',
      `Expected \`AUTH_DISABLED\` only with a loopback HOST and NODE_ENV other than production (it lets anyone do anything), got HOST=${host}${production ? ' and NODE_ENV=production' : ''}`,
    );
  }
  if (development && !disabled && !isLoopback(host)) {
    throw new CertificateError(
      'invalid_config',
      `Expected ${configure} to be set when HOST is not loopback, got HOST=${host} and neither: set one of them, or HOST=127.0.0.1 for development`,
    );
  }
  return { apiKeysFile: file, development, disabled, oidc };
}

/**
 * SIGNING_KEY_FILE, else the state directory's development file; SIGNING_DISABLED writes unsigned
 * records (a forger with write access to the topic could then add certificates), so production
 * refuses it and needs the file named.
 */
function signingSettings(env: NodeJS.ProcessEnv): SigningSettings {
  const production = text(env, 'NODE_ENV') === 'production';
  const file = text(env, 'SIGNING_KEY_FILE');
  if (flag(env, 'SIGNING_DISABLED', false)) {
    if (production)
      throw invalid(
        'SIGNING_DISABLED',
        'unset when NODE_ENV=production (unsigned records let a writer to the topic add certificates)',
        '1',
      );
    return { keyFile: undefined, development: false };
  }
  if (file !== undefined) return { keyFile: resolve(file), development: false };
  if (production) {
    throw new CertificateError(
      'invalid_config',
      'Expected `SIGNING_KEY_FILE` to be set when NODE_ENV=production (keys made with `npm run keys -- signing create`)',
    );
  }
  const stateDir = text(env, 'STATE_DIR') ?? DEFAULTS.developmentStateDir;
  return { keyFile: resolve(join(stateDir, DEFAULTS.developmentSigningFile)), development: true };
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
  const stateDir = text(env, 'STATE_DIR');
  const { internal, advertisedUrl } = internalSettings(env, host, port);
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
      advertisedUrl,
      writerGroup: text(env, 'WRITER_GROUP') ?? writerGroupOf(topic),
      writerSessionTimeoutMs: integer(env, 'WRITER_SESSION_TIMEOUT_MS', DEFAULTS.writerSessionTimeoutMs, 1000, 300_000),
      writerWaitMs: integer(env, 'WRITER_WAIT_MS', DEFAULTS.writerWaitMs, 0, 120_000),
    },
    internal,
    paper: {
      companyName: companyName(env),
      publicUrl: publicUrl === undefined ? undefined : httpUrl('PUBLIC_URL', publicUrl),
    },
    state: {
      dir: stateDir,
      everyRecords: integer(env, 'SNAPSHOT_EVERY_RECORDS', DEFAULTS.snapshotEveryRecords, 1000, 100_000_000),
      key: stateKeyOf(env, stateDir),
    },
    logging: {
      level: logLevel(env),
      sample: integer(env, 'LOG_SAMPLE', DEFAULTS.logSample, 0, 1_000_000),
    },
    auth: authSettings(env, host, publicUrl, internal.secret !== undefined),
    console: consoleSettings(env, parseOidcSettings(env)),
    edge: edgeSettings(env),
    signing: signingSettings(env),
    issuer: issuerSettings(env),
  };
}

/** The keys file `npm run keys` manages: the one the service reads with the same settings. */
export function loadKeysConfig(env: NodeJS.ProcessEnv = process.env): { readonly apiKeysFile: string } {
  const { file } = keysFile(env, parseOidcSettings(env));
  if (file === undefined) throw invalid('API_KEYS_FILE', 'the keys file to manage (OIDC_ISSUER alone names no keys file)', '');
  return { apiKeysFile: file };
}

/** The signing key file `npm run keys -- signing` manages: the one the service reads with the same settings. */
export function loadSigningKeysConfig(env: NodeJS.ProcessEnv = process.env): { readonly signingKeyFile: string } {
  const { keyFile } = signingSettings(env);
  if (keyFile === undefined)
    throw invalid('SIGNING_DISABLED', 'unset to manage signing keys (with it, the service reads no key file)', '1');
  return { signingKeyFile: keyFile };
}

/** The settings `npm run audit` and `npm run ocf` read: the service's, with the local broker's address when KAFKA_BROKERS is unset. */
export function loadAuditConfig(
  env: NodeJS.ProcessEnv = process.env,
): Pick<Config, 'topic' | 'issuing' | 'signing' | 'issuer'> & { kafka: KafkaConnection } {
  const { kafka, topic, issuing, signing, issuer } = loadConfig(env);
  return { kafka: { ...kafka, brokers: kafka.brokers ?? [`127.0.0.1:${kafka.localPort}`] }, topic, issuing, signing, issuer };
}
