import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { LogWriter } from '../actors/log-writer.js';
import { Sequencers } from '../actors/sequencers.js';
import { trustedKeys } from '../audit/trusted-keys.js';
import { DEFAULTS, loadAuditConfig } from '../config.js';
import { isCertificateError } from '../core/errors.js';
import { LogState } from '../core/log-state.js';
import { KafkaLedger } from '../log/kafka-ledger.js';
import { plaintextSaslWarning } from '../log/kafka-security.js';
import { startSigning } from '../signing/signing-start.js';
import { exportLedger } from './ledger-export.js';
import { replay, requireEmpty } from './import.js';
import { planImport } from './import-plan.js';
import { readPackage } from './package-reader.js';
import { OcfSchemas, OCF_VERSION } from './schemas.js';
import { ZIP_LIMITS } from './zip.js';

const USAGE = `Usage: npm run ocf -- export FILE [--offset N]
       npm run ocf -- import FILE

export  writes the ledger as an Open Cap Table Format ${OCF_VERSION} package (a .ocf.zip: manifest, issuer,
        stock classes, stakeholders, stock legend templates, transactions, each file with its MD5), as of
        the log's end, or of offset N. Reads the topic as \`npm run audit\` does and changes nothing.
import  checks FILE (the manifest's MD5s, every object against the OCF ${OCF_VERSION} schemas, the cap table's
        rules) and replays it into the EMPTY ledger of KAFKA_TOPIC through the service's own numbering
        and writer, signed with SIGNING_KEY_FILE: certificate ids and numbers, dates and transaction
        ids are kept. Run it before any instance serves the topic.
Environment: the service's: KAFKA_BROKERS (127.0.0.1:${DEFAULTS.kafkaPort}), KAFKA_TOPIC (${DEFAULTS.topic}), SHARE_CLASSES,
SIGNING_KEY_FILE, COMPANY_NAME, ISSUER_FORMATION_DATE, ISSUER_COUNTRY, and KAFKA_TLS_* / KAFKA_SASL_* (docs/ocf.md)
Exit status: 0 done, 1 the import was refused (the message names the first offending object), 2 it could not run.`;

function fail(message: string, status = 2): never {
  console.error(`ocf: ${message}`);
  process.exit(status);
}

async function exportCommand(file: string, offset: number | undefined): Promise<void> {
  const { kafka, topic, issuing, signing, issuer } = loadAuditConfig();
  const trusted = await trustedKeys(undefined, signing);
  // Never connect(): that would create a missing topic, and an export must not change what it reads.
  const ledger = new KafkaLedger(kafka, topic, { appendTimeoutMs: issuing.commitTimeoutMs, clientId: 'certificates-ocf' });
  try {
    const started = Date.now();
    const exported = await exportLedger(
      ledger,
      { classes: issuing.shareClasses, keyWindow: issuing.keyWindow, verifier: trusted.verifier, issuer },
      offset,
    );
    writeFileSync(file, exported.zip);
    const { files } = exported.capTable;
    console.log(
      `${file}: topic ${topic.name} as of offset ${exported.end}: ${files.OCF_STOCK_CLASSES_FILE.length} stock classes, ${files.OCF_STAKEHOLDERS_FILE.length} stakeholders, ${files.OCF_STOCK_LEGEND_TEMPLATES_FILE.length} legend templates, ${files.OCF_TRANSACTIONS_FILE.length} transactions, ${exported.zip.byteLength} bytes in ${Date.now() - started} ms`,
    );
  } finally {
    await ledger.disconnect().catch(() => undefined);
  }
}

/** The zip, refused past ZIP_LIMITS before it is read; checked and read on one open file. */
function readZip(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > ZIP_LIMITS.maxZipBytes)
      fail(`invalid_import: ${path} is not a file of at most ${ZIP_LIMITS.maxZipBytes} bytes`, 1);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function importCommand(file: string): Promise<void> {
  const { kafka, topic, issuing, signing: signingSettings, issuer } = loadAuditConfig();
  // Everything is checked before the log is touched: a refused file writes nothing.
  const plan = planImport(readPackage(readZip(file), new OcfSchemas()), issuing.shareClasses);
  if (plan.issuerName !== issuer.legalName)
    console.error(
      `ocf: note: the file's issuer is ${JSON.stringify(plan.issuerName)}, COMPANY_NAME is ${JSON.stringify(issuer.legalName)}: exports and paper will say the latter`,
    );
  const signing = await startSigning(signingSettings, undefined);
  const ledger = new KafkaLedger(kafka, topic, { appendTimeoutMs: issuing.commitTimeoutMs, clientId: 'certificates-ocf-import' });
  await ledger.connect();
  try {
    const state = new LogState(issuing.shareClasses, issuing.keyWindow, undefined, signing?.keys);
    const { low, high } = await ledger.bounds();
    await ledger.read(low, high, (records) => void state.apply(records));
    state.readTo(high);
    state.loaded = true;
    requireEmpty(
      state,
      issuing.shareClasses.map(({ code }) => code),
    );
    const writer = new LogWriter(ledger, state, signing === undefined ? {} : { signer: signing.keys });
    const sequencers = new Sequencers(issuing.shareClasses, state, writer, {
      ackTimeoutMs: issuing.commitTimeoutMs,
      now: () => new Date(),
    });
    const started = Date.now();
    try {
      const imported = await replay(plan, sequencers, state, {
        principal: `ocf-import:${userInfo().username}`,
        requestPrefix: `ocf-${randomUUID().slice(0, 8)}`,
      });
      console.log(
        `${file}: imported into topic ${topic.name}: ${imported.certificates} certificates, ${imported.events} events (legend templates included) in ${Date.now() - started} ms; the log ends at offset ${state.end}`,
      );
    } finally {
      await sequencers.closeAll();
    }
  } finally {
    await ledger.disconnect().catch(() => undefined);
    signing?.close();
  }
}

async function main(): Promise<void> {
  let parsed: ReturnType<
    typeof parseArgs<{ options: { offset: { type: 'string' }; help: { type: 'boolean'; short: 'h' } }; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ options: { offset: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return void console.log(USAGE);
  const [command, file, ...rest] = positionals;
  if (file === undefined || rest.length > 0 || (command !== 'export' && command !== 'import')) fail(USAGE);
  const offset = values.offset === undefined ? undefined : Number(values.offset);
  if (offset !== undefined && (command !== 'export' || !Number.isSafeInteger(offset) || offset < 0))
    fail(`--offset takes an offset (a whole number) and only with export\n\n${USAGE}`);
  try {
    const saslWarning = plaintextSaslWarning(loadAuditConfig().kafka.security);
    if (saslWarning !== undefined) console.error(`WARNING: ${saslWarning}`);
    await (command === 'export' ? exportCommand(file, offset) : importCommand(file));
  } catch (error) {
    if (isCertificateError(error))
      fail(`${error.code}: ${error.message}`, error.code === 'invalid_import' || error.code === 'ledger_not_empty' ? 1 : 2);
    fail(String(error));
  }
}

await main();
