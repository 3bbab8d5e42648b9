import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULTS, loadAuditConfig } from '../config.js';
import { isCertificateError } from '../core/errors.js';
import { plaintextSaslWarning } from '../log/kafka-security.js';
import { KafkaLedger } from '../log/kafka-ledger.js';
import { formatReport, LogAudit, parseAcknowledged, type Acknowledged } from './check.js';

const USAGE = `Usage: npm run audit [-- [--acknowledged FILE] [--by-principal]]

Reads the whole certificate topic and judges each record by the service's own rule: a record is a
certificate only if it sits at the offset it states and continues its class (next number, running
total + amount, within the authorized shares). A record that sits elsewhere (misplaced) is void, was
never acknowledged and is listed apart; any other record that breaks the rule is a violation, and
so is a certificate issued for an Idempotency-Key that an earlier certificate answered while the
service still remembered it.

  --acknowledged FILE  one certificate per line (an ID such as CS-17, or the JSON body of the 201);
                       each must be a certificate in the log, with the same name and amount when given
  --by-principal       also lists, per principal who asked (an API key's key:<id>, a token's oidc:<iss>#<sub>),
                       its certificates and shares; "unknown" counts records written before records named one
Environment: KAFKA_BROKERS (127.0.0.1:${DEFAULTS.kafkaPort}), KAFKA_TOPIC (${DEFAULTS.topic}), SHARE_CLASSES (${DEFAULTS.shareClasses}),
IDEMPOTENCY_WINDOW_MS and IDEMPOTENCY_MAX_KEYS (as the service has them), and the service's KAFKA_TLS_* and
KAFKA_SASL_* settings for a cluster that wants them (docs/operations.md)
Exit status: 0 the log is sound, 1 violations found, 2 the audit could not run.`;

const PROGRESS_EVERY_MS = 1000;

function fail(message: string): never {
  console.error(`audit: ${message}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: { acknowledged?: string; 'by-principal'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { acknowledged: { type: 'string' }, 'by-principal': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
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
  const { kafka, topic, issuing } = config;
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

  const audit = new LogAudit(issuing.shareClasses, issuing.keyWindow, acknowledged);
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
  console.log(formatReport(report, { acknowledgedFile: values.acknowledged !== undefined, byPrincipal: values['by-principal'] === true }));
  if (!report.ok) process.exitCode = 1;
}

main().catch((error: unknown) => fail(String(error)));
