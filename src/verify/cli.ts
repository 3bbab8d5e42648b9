import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import type { Certificate } from '../core/certificate.js';
import { certificateDigest, groupDigest } from '../paper/digest.js';
import { particulars } from '../paper/face.js';
import { numberInFigures, numberInWords } from '../paper/words.js';
import { trustedKeys } from '../audit/trusted-keys.js';
import type { SealVerifier } from '../core/seal.js';
import { readPaper } from './pdf-reader.js';
import { onlineStatus, statusUrl, type OnlineStatus } from './status.js';
import { verifyLink, verifyPaper, type Verdict } from './verdict.js';

const USAGE = `Usage: npm run verify -- [--keys FILE] [--issuer URL] <certificate.pdf | verification URL>

Checks a paper certificate, or the URL its QR code holds, offline: with a key file, nothing is sent
anywhere. A signature proves that the certificate was issued, not that it is still outstanding: it
may since have been cancelled, stopped or replaced, which only the issuer can say. The QR
code carries the certificate's fields and its proof (the Merkle path to a head signed with Ed25519);
the proof must be signed by a trusted key valid at the time it was signed, and on a PDF every printed
field (number, holder, shares, issue date, digest, signing key, time and head) must be the one signed.
A PDF is read with pdftotext, pdftoppm and zbarimg (apt-get install poppler-utils zbar-tools).

  --keys FILE  the issuer's published keys, a JWK set as GET /.well-known/jwks.json serves it
               (an https URL is fetched once: the only request this ever makes); by default the
               public halves of the keys in SIGNING_KEY_FILE (the service's own file)
  --issuer URL the issuer's address (https): also asks it where the certificate stands now
               (GET /certificates/{id}/verify?digest=…), one more request
Exit status: 0 genuine (and outstanding, with --issuer), 1 not genuine, 2 could not be checked (a
certificate from before signing, an unreadable file, missing tools or keys, no answer from the
issuer), 3 genuine but cancelled, stopped or superseded (with --issuer).`;

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

/** The verdict, the link the QR code holds (or the one given), and on paper its closed mark, if it prints one. */
function check(input: string, verifier: SealVerifier): { readonly verdict: Verdict; readonly link: string; readonly marked?: string } {
  if (!existsSync(input)) {
    if (/^https?:\/\//i.test(input) || input.includes('#')) return { verdict: verifyLink(input, verifier), link: input };
    throw new CannotCheck(`${input}: no such file, and not a verification URL`);
  }
  const { size } = statSync(input);
  if (size > MAX_PDF_BYTES || !isPdf(input)) throw new CannotCheck(`${input} is not a PDF certificate`);
  const reading = readPaper(input);
  const marked = /\b(?:CANCELLED|STOPPED|SUPERSEDED) on [^\n]+/.exec(reading.text)?.[0];
  return { verdict: verifyPaper(reading, verifier), link: reading.qrCodes[0] ?? '', ...(marked === undefined ? {} : { marked }) };
}

/** What is said of where a genuine certificate stands: the issuer's answer, or where to ask it. */
function standingRows(certificate: Certificate, link: string, online: OnlineStatus | undefined, marked: string | undefined): string[] {
  const rows = marked === undefined ? [] : [`  ${'paper'.padEnd(12)} marked ${printable(marked)}`];
  if (online !== undefined) return [...rows, `  ${'status'.padEnd(12)} ${online.status}, per ${online.url}`];
  const base = link.includes('/verify#') ? link.slice(0, link.indexOf('/verify#')) : '<issuer>';
  return [
    ...rows,
    `  ${'status'.padEnd(12)} NOT CHECKED: the signature proves issuance, not that ${certificate.id} is still outstanding.`,
    `  ${''.padEnd(12)} Ask the issuer where it stands now: ${printable(statusUrl(base, certificate.id, certificateDigest(certificate)))}`,
    `  ${''.padEnd(12)} (or run again with --issuer <its https address>).`,
  ];
}

/** Text from the code, printed to a terminal: control characters shown escaped, never run. */
const printable = (text: string): string =>
  text.replace(/[\p{Cc}\p{Cf}]/gu, (character) => `\\u${character.codePointAt(0)!.toString(16).padStart(4, '0')}`);

function report(verdict: Verdict, link: string, online?: OnlineStatus, marked?: string): string {
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
    ...termsRows(certificate),
    ['class total', `${numberInFigures(certificate.sharesIssued)} shares issued with this one`],
    ['digest', groupDigest(certificateDigest(certificate))],
    ['signing key', head.key],
    ['signed at', head.at],
    ['signed head', `${hash} (offset ${offset} of the log, records ${head.first} to ${head.first + head.count - 1})`],
  ];
  const signed = `${certificate.id} was signed by key ${head.key} at ${head.at}`;
  const closed = online !== undefined && online.status !== 'outstanding';
  return [
    closed ? `${online.status.toUpperCase()}: ${signed}, but ${printable(online.note ?? online.verdict)}` : `GENUINE: ${signed}`,
    ...rows.map(([label, value]) => `  ${label.padEnd(12)} ${printable(value)}`),
    ...standingRows(certificate, link, online, marked),
  ].join('\n');
}

/** What the terms add to the report: each of the terms the certificate was signed with. */
function termsRows(certificate: Certificate): Array<readonly [string, string]> {
  return [
    ...particulars(certificate.terms).map(([label, value]) => [label.toLowerCase(), value] as const),
    ...(certificate.terms?.legends === undefined ? [] : [['legends', certificate.terms.legends.join(', ')] as const]),
  ];
}

async function main(): Promise<number> {
  let parsed: { values: { keys?: string; issuer?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      options: { keys: { type: 'string' }, issuer: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
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
    const { verdict, link, marked } = check(positionals[0]!, await verifier(values.keys));
    // Only a genuine paper is worth asking about: the issuer is asked nothing of a forgery.
    const online =
      verdict.status === 'genuine' && values.issuer !== undefined
        ? await onlineStatus(values.issuer, verdict.certificate.id, certificateDigest(verdict.certificate))
        : undefined;
    console.log(report(verdict, link, online, marked));
    if (online !== undefined && online.status !== 'outstanding') return 3;
    return { genuine: 0, not_genuine: 1, cannot_check: 2 }[verdict.status];
  } catch (error) {
    // Unreadable files, missing tools or keys, a key set that is not one: each error says which.
    console.error(`verify: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

process.exitCode = await main();
