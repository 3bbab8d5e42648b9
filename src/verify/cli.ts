import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { certificateDigest, groupDigest } from '../paper/digest.js';
import { numberInFigures, numberInWords } from '../paper/words.js';
import { trustedKeys } from '../audit/trusted-keys.js';
import type { SealVerifier } from '../core/seal.js';
import { readPaper } from './pdf-reader.js';
import { verifyLink, verifyPaper, type Verdict } from './verdict.js';

const USAGE = `Usage: npm run verify -- [--keys FILE] <certificate.pdf | verification URL>

Checks a paper certificate, or the URL its QR code holds, offline: with a key file, nothing is sent
anywhere. The QR
code carries the certificate's fields and its proof (the Merkle path to a head signed with Ed25519);
the proof must be signed by a trusted key valid at the time it was signed, and on a PDF every printed
field (number, holder, shares, issue date, digest, signing key, time and head) must be the one signed.
A PDF is read with pdftotext, pdftoppm and zbarimg (apt-get install poppler-utils zbar-tools).

  --keys FILE  the issuer's published keys, a JWK set as GET /.well-known/jwks.json serves it
               (an https URL is fetched once: the only request this ever makes); by default the
               public halves of the keys in SIGNING_KEY_FILE (the service's own file)
Exit status: 0 genuine, 1 not genuine, 2 could not be checked (a certificate from before signing,
an unreadable file, missing tools or keys).`;

/** A PDF certificate is ~60 KB. */
const MAX_PDF_BYTES = 20 * 1024 * 1024;

class CannotCheck extends Error {}

/**
 * The keys to trust, as the audit takes them (src/audit/trusted-keys.ts): a published set, or the
 * public halves of the service's key file. None is no verdict: every proof would be untrusted.
 */
async function verifier(keys: string | undefined): Promise<SealVerifier> {
  const trusted = await trustedKeys(keys, loadConfig().signing);
  if (trusted.kids.length === 0) throw new CannotCheck(`no key to trust (${trusted.source}): give the published keys with --keys FILE`);
  return trusted.verifier;
}

function isPdf(file: string): boolean {
  const header = Buffer.alloc(5);
  const descriptor = openSync(file, 'r');
  try {
    readSync(descriptor, header, 0, 5, 0);
  } finally {
    closeSync(descriptor);
  }
  return header.toString('latin1') === '%PDF-';
}

function check(input: string, verifier: SealVerifier): Verdict {
  if (!existsSync(input)) {
    if (/^https?:\/\//i.test(input) || input.includes('#')) return verifyLink(input, verifier);
    throw new CannotCheck(`${input}: no such file, and not a verification URL`);
  }
  const { size } = statSync(input);
  if (size > MAX_PDF_BYTES || !isPdf(input)) throw new CannotCheck(`${input} is not a PDF certificate`);
  return verifyPaper(readPaper(input), verifier);
}

/** Text from the code, printed to a terminal: control characters shown escaped, never run. */
const printable = (text: string): string =>
  text.replace(/[\p{Cc}\p{Cf}]/gu, (character) => `\\u${character.codePointAt(0)!.toString(16).padStart(4, '0')}`);

function report(verdict: Verdict): string {
  if (verdict.status === 'cannot_check') return `CANNOT CHECK OFFLINE: ${printable(verdict.detail)}`;
  if (verdict.status === 'not_genuine') return `NOT GENUINE (${verdict.reason}): ${printable(verdict.detail)}`;
  const { certificate, proof } = verdict;
  const { head, hash, offset } = proof.seal;
  const rows: Array<readonly [string, string]> = [
    ['certificate', certificate.id],
    ['class', certificate.class],
    ['holder', certificate.name],
    ['shares', `${numberInFigures(certificate.amount)} (${numberInWords(certificate.amount)})`],
    ['issued at', certificate.issuedAt],
    ['class total', `${numberInFigures(certificate.sharesIssued)} shares issued with this one`],
    ['digest', groupDigest(certificateDigest(certificate))],
    ['signing key', head.key],
    ['signed at', head.at],
    ['signed head', `${hash} (offset ${offset} of the log, records ${head.first} to ${head.first + head.count - 1})`],
  ];
  return [
    `GENUINE: ${certificate.id} was signed by key ${head.key} at ${head.at}`,
    ...rows.map(([label, value]) => `  ${label.padEnd(12)} ${printable(value)}`),
  ].join('\n');
}

async function main(): Promise<number> {
  let parsed: { values: { keys?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ options: { keys: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (error) {
    console.error(`verify: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`verify: expected one PDF file or URL, got ${positionals.length}\n\n${USAGE}`);
    return 2;
  }
  try {
    const verdict = check(positionals[0]!, await verifier(values.keys));
    console.log(report(verdict));
    return { genuine: 0, not_genuine: 1, cannot_check: 2 }[verdict.status];
  } catch (error) {
    // Unreadable files, missing tools or keys, a key set that is not one: each error says which.
    console.error(`verify: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

process.exitCode = await main();
