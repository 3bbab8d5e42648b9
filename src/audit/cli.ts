import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULTS, loadAuditConfig } from '../config.js';
import { isCertificateError } from '../core/errors.js';
import { plaintextSaslWarning } from '../log/kafka-security.js';
import { KafkaLedger } from '../log/kafka-ledger.js';
import type { SignedHead } from '../core/seal.js';
import { formatReport, LogAudit, parseAcknowledged, type Acknowledged } from './check.js';
import { parseSavedHead } from './since-head.js';
import { readSmallFile } from './small-file.js';
import { KEYS_FETCH_TIMEOUT_MS, trustedKeys, type TrustedKeys } from './trusted-keys.js';

const USAGE = `Usage: npm run audit [-- [--keys FILE|URL] [--since-head FILE] [--acknowledged FILE] [--by-principal]]

Reads the whole certificate topic and judges each record by the service's own rule: a record is a
certificate only if it sits at the offset it states and continues its class (next number, running
total + amount, within the authorized shares), and, once the log is signed, only if its write's seal
signs it, continues the chain of heads and carries a trusted key's signature. A record that sits
elsewhere (misplaced) is void, was never acknowledged and is listed apart; any other record that
breaks the rule is a violation, and so is a certificate issued for an Idempotency-Key that an
earlier certificate answered while the service still remembered it.

  --keys FILE|URL      the trusted public keys, a JWK set as the service publishes it (/.well-known/jwks.json),
                       a file or an https URL fetched once (${KEYS_FETCH_TIMEOUT_MS / 1000} s at most; http from 127.0.0.1 only);
                       by default the public halves of SIGNING_KEY_FILE
  --since-head FILE    a signed head kept earlier ({offset, hash, head, signature}, from GET /ledger/head or a
                       201's receipt): its signature must check, and the log must still extend it
  --acknowledged FILE  one certificate per line (an ID such as CS-17, or the JSON body of the 201);
                       each must be a certificate in the log, with the same name and amount when given
  --by-principal       also lists, per principal who asked (an API key's key:<id>, a token's oidc:<iss>#<sub>),
                       its certificates and shares; "unknown" counts records written before records named one
Environment: KAFKA_BROKERS (127.0.0.1:${DEFAULTS.kafkaPort}), KAFKA_TOPIC (${DEFAULTS.topic}), SHARE_CLASSES (${DEFAULTS.shareClasses}),
IDEMPOTENCY_WINDOW_MS and IDEMPOTENCY_MAX_KEYS (as the service has them), SIGNING_KEY_FILE, and the service's KAFKA_TLS_* and
KAFKA_SASL_* settings for a cluster that wants them (docs/operations.md)
Exit status: 0 the log is sound, 1 violations found, 2 the audit could not run.`;

const PROGRESS_EVERY_MS = 1000;
/** A signed head is well under a kilobyte. */
const MAX_HEAD_FILE_BYTES = 64 * 1024;

function fail(message: string): never {
  console.error(`audit: ${message}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: { acknowledged?: string; 'by-principal'?: boolean; keys?: string; 'since-head'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        acknowledged: { type: 'string' },
        'by-principal': { type: 'boolean' },
        keys: { type: 'string' },
        'since-head': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }

  let config: ReturnType<typeof loadAuditConfig>;
  try {
    config = loadAuditConfig();
  } catch (error) {
    fail(isCertificateError(error) ? error.message : String(error));
  }
  const { kafka, topic, issuing, signing } = config;
  const saslWarning = plaintextSaslWarning(kafka.security);
  if (saslWarning !== undefined) console.error(`WARNING: ${saslWarning}`);
  const brokers = kafka.brokers;
  let acknowledged: Acknowledged[] = [];
  if (values.acknowledged !== undefined) {
    try {
      acknowledged = parseAcknowledged(readFileSync(values.acknowledged, 'utf8'));
    } catch (error) {
      fail(`${values.acknowledged}: ${(error as Error).message}`);
    }
  }

  let trusted: TrustedKeys;
  try {
    trusted = await trustedKeys(values.keys, signing);
  } catch (error) {
    fail(`cannot read the trusted keys: ${(error as Error).message}`);
  }
  let sinceHead: SignedHead | undefined;
  const savedHeadFile = values['since-head'];
  if (savedHeadFile !== undefined) {
    try {
      sinceHead = parseSavedHead(readSmallFile(savedHeadFile, MAX_HEAD_FILE_BYTES), trusted.verifier);
    } catch (error) {
      fail(`${savedHeadFile}: ${(error as Error).message}`);
    }
  }

  const audit = new LogAudit(issuing.shareClasses, issuing.keyWindow, acknowledged, {
    verifier: trusted.verifier,
    ...(sinceHead === undefined ? {} : { sinceHead }),
  });
  // Never connect(): that would create a missing topic, and an audit must not change what it audits.
  const ledger = new KafkaLedger(kafka, topic, { appendTimeoutMs: issuing.commitTimeoutMs, clientId: 'certificates-audit' });
  const started = Date.now();
  let lastProgress = started;
  try {
    await ledger.readAll(
      (entries) => audit.add(entries),
      (read, total) => {
        const now = Date.now();
        if (now - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = now;
        console.error(`audit: ${read} of ${total} records read (${Math.round((100 * read) / Math.max(total, 1))}%)`);
      },
    );
  } catch (error) {
    fail(`cannot read topic ${topic.name} from ${brokers.join(',')}: ${(error as Error).message}`);
  } finally {
    await ledger.disconnect().catch(() => undefined);
  }

  const report = audit.report();
  console.log(`topic ${topic.name} on ${brokers.join(',')}: ${report.records} records read in ${Date.now() - started} ms`);
  console.log(`trusted signing keys: ${trusted.kids.length === 0 ? trusted.source : `${trusted.kids.join(', ')} (${trusted.source})`}`);
  console.log(formatReport(report, { acknowledgedFile: values.acknowledged !== undefined, byPrincipal: values['by-principal'] === true }));
  if (!report.ok) process.exitCode = 1;
}

main().catch((error: unknown) => fail(String(error)));
