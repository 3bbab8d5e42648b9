import { randomUUID } from 'node:crypto';
import { writeEntries, type WriteEntry } from '../src/actors/log-writer.js';
import { DEFAULTS } from '../src/config.js';
import type { CertificateRecord } from '../src/core/certificate.js';
import { LogState } from '../src/core/log-state.js';
import { headText, type Head } from '../src/core/seal.js';
import type { SigningKeys } from '../src/signing/signing-keys.js';
import { signingKeys } from '../test/support/signing.js';
import { median } from './lib/stats.js';

/**
 * Signing's cost on the writer's path and on a reader's, in this process, without HTTP or Kafka:
 * writes of n certificates stated with `writeEntries` (the writer's code) and applied to a LogState
 * as the writer applies its own (the signature it made is remembered, not verified), signed and
 * unsigned taking turns; then the same writes applied by a reader that verifies each seal (a start
 * reading the whole log, a follower's tail, the audit). Prints CPU µs per write and per certificate
 * (medians over the rounds), the bytes a seal adds per write, and what one Ed25519 signature (and
 * its verification) per certificate would cost instead of one per write.
 *
 *   npx tsx bench/signing-path.ts [--sizes=1,9,20,100] [--rounds=7] [--certificates=20000]
 */
const CLASSES = [{ code: 'CS', authorized: 1e15 }];

function option(name: string, fallback: string): string {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}

const sizes = option('sizes', '1,9,20,100').split(',').map(Number);
const rounds = Number(option('rounds', '7'));
const certificates = Number(option('certificates', '20000'));

function cpuUs(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const { user, system } = process.cpuUsage(before);
  return user + system;
}

/** A service's record: a request id, a principal and a Request-Id, as the edge gives each. */
function records(state: LogState, n: number, issuedAt: string): CertificateRecord[] {
  const tail = state.index('CS')!.count;
  return Array.from({ length: n }, (_, i) => ({
    id: `CS-${tail + i + 1}`,
    class: 'CS',
    number: tail + i + 1,
    name: 'Salt Bae',
    amount: 1,
    issuedAt,
    sharesIssued: tail + i + 1,
    request: randomUUID(),
    principal: 'key:bench-0001',
    requestId: randomUUID(),
  }));
}

interface Turn {
  readonly writerUs: number;
  readonly readerUs: number;
  /** Keys and values of every record written, seals included. */
  readonly bytes: number;
}

/** `writes` writes of n certificates by one writer (signing when `keys` is given), then read by a reader verifying with `verifier`. */
function turn(n: number, writes: number, keys: SigningKeys | undefined, verifier: SigningKeys): Turn {
  const state = new LogState(CLASSES, DEFAULTS.keyWindow, undefined, keys);
  const batches = Array.from({ length: writes }, () => records(state, n, new Date().toISOString()));
  // Numbers continue from the writer's state as it moves: restate each batch's numbers in place.
  let number = 0;
  for (const batch of batches) for (const record of batch) Object.assign(record, { id: `CS-${++number}`, number, sharesIssued: number });
  const written: WriteEntry[][] = [];
  const writerUs = cpuUs(() => {
    for (const batch of batches) {
      const entries = writeEntries(state, batch, keys, () => new Date());
      state.apply(entries);
      written.push(entries);
    }
  });
  const reader = new LogState(CLASSES, DEFAULTS.keyWindow, undefined, verifier);
  const readerUs = cpuUs(() => {
    for (const entries of written) reader.apply(entries);
  });
  if (reader.index('CS')!.count !== writes * n)
    throw new Error(`the reader found ${reader.index('CS')!.count} certificates, not ${writes * n}`);
  let bytes = 0;
  for (const entries of written) for (const { key, value } of entries) bytes += key.length + value.length;
  return { writerUs, readerUs, bytes };
}

const keys = signingKeys();
const head = (at: string): Omit<Head, 'key'> => ({
  v: 1,
  first: 1,
  count: 1,
  root: 'a'.repeat(64),
  prev: 'b'.repeat(64),
  classes: { CS: { number: 1, sharesIssued: 1 } },
  at,
});

/** One Ed25519 signature of a head, and its verification by a reader that did not make it. */
function signatureCost(): { signUs: number; verifyUs: number } {
  const count = 2000;
  const at = new Date().toISOString();
  const seals = [] as ReturnType<SigningKeys['sign']>[];
  const signUs = cpuUs(() => {
    for (let i = 0; i < count; i++) seals.push(keys.sign({ ...head(at), first: i }));
  });
  const verifier = signingKeys();
  const verifyUs = cpuUs(() => {
    for (const seal of seals) if (verifier.check(seal.head, headText(seal.head), seal.signature) !== 'ok') throw new Error('bad signature');
  });
  return { signUs: signUs / count, verifyUs: verifyUs / count };
}

// Warm the JIT on both paths before anything is measured.
turn(9, 2000, keys, signingKeys());
turn(9, 2000, undefined, signingKeys());
const signatures = Array.from({ length: rounds }, signatureCost);
const signUs = median(signatures.map((s) => s.signUs));
const verifyUs = median(signatures.map((s) => s.verifyUs));
console.log(
  `one Ed25519 signature of a head: ${signUs.toFixed(1)} µs; its verification: ${verifyUs.toFixed(1)} µs (medians of ${rounds} × 2000)`,
);
console.log(
  'n per write | writer µs/write unsigned → signed (+/cert) | reader µs/write unsigned → signed (+/cert) | bytes/write unsigned → signed | per-cert signing instead: writer +µs/cert, reader +µs/cert',
);
for (const n of sizes) {
  const writes = Math.max(50, Math.round(certificates / n));
  const signed: Turn[] = [];
  const unsigned: Turn[] = [];
  for (let round = 0; round < rounds; round++) {
    // Taking turns, each round starting with the other, so neither is always measured first.
    const order = round % 2 === 0 ? ['signed', 'unsigned'] : ['unsigned', 'signed'];
    for (const which of order) {
      if (which === 'signed') signed.push(turn(n, writes, keys, signingKeys()));
      else unsigned.push(turn(n, writes, undefined, signingKeys()));
    }
  }
  const per = (turns: Turn[], field: 'writerUs' | 'readerUs') => median(turns.map((t) => t[field] / writes));
  const [wu, ws, ru, rs] = [per(unsigned, 'writerUs'), per(signed, 'writerUs'), per(unsigned, 'readerUs'), per(signed, 'readerUs')];
  const bytes = (turns: Turn[]) => turns[0]!.bytes / writes;
  // One signature per certificate: each certificate its own head (its own seal) instead of sharing one.
  const perCertWriter = (signUs * (n - 1)) / n + (ws - wu) / n;
  const perCertReader = (verifyUs * (n - 1)) / n + (rs - ru) / n;
  console.log(
    `${n} | ${wu.toFixed(1)} → ${ws.toFixed(1)} (+${((ws - wu) / n).toFixed(2)}) | ${ru.toFixed(1)} → ${rs.toFixed(1)} (+${((rs - ru) / n).toFixed(2)}) | ` +
      `${bytes(unsigned).toFixed(0)} → ${bytes(signed).toFixed(0)} | +${perCertWriter.toFixed(1)}, +${perCertReader.toFixed(1)}`,
  );
}
