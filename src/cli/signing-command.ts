import { parseArgs } from 'node:util';
import { KEY_RELOAD_BOUND_MS } from '../files/followed-file.js';
import { newStoredKey, readSigningKeysOrNone, signingKeysOf, updateSigningFile, type StoredKey } from '../signing/key-file.js';
import { maySignAt, SigningKeys } from '../signing/signing-keys.js';
import { UsageError } from './usage.js';

/**
 * How long after `rotate` (and at the soonest, after `retire`) a change takes effect: five times
 * the bound within which every instance has read the file (KEY_RELOAD_BOUND_MS, 2 s), so that the
 * clocks NTP keeps within a second of each other, a slow disk and a busy event loop all fit. Every
 * instance then holds the new key, or knows of the retirement, before it matters: no writer signs
 * with a key a reader has not read, and no writer signs with a key the others already judge retired.
 */
export const ROTATION_LEAD_MS = 5 * KEY_RELOAD_BOUND_MS;

/**
 * How long the keys `rotate` replaces may still sign after the new key starts: a writer whose clock
 * runs ahead of this one, or that read the file late, signs with them meanwhile instead of refusing
 * to issue. Which key signs is otherwise the newest (src/signing/signing-keys.ts).
 */
export const ROTATION_OVERLAP_MS = ROTATION_LEAD_MS;

export const SIGNING_USAGE = `  npm run keys -- signing create               a key that may sign from now; its id on the last line
  npm run keys -- signing rotate               a key that signs from ${ROTATION_LEAD_MS / 1000} s from now; the keys signing now retire ${ROTATION_OVERLAP_MS / 1000} s after
  npm run keys -- signing retire KID [--at ISO-TIME]   KID signs nothing from then (default and soonest: ${ROTATION_LEAD_MS / 1000} s from now)
  npm run keys -- signing list                 one key a line: id, notBefore, retiredAt, private or public
  npm run keys -- signing public               the trusted public keys, as GET /.well-known/jwks.json serves them
The file is SIGNING_KEY_FILE (else the development file in STATE_DIR or ./.state). Private keys are never printed.`;

const seconds = (ms: number): string => `${ms / 1000} s`;

function line(key: StoredKey): string {
  return [key.kid, `notBefore=${key.notBefore}`, `retiredAt=${key.retiredAt ?? 'never'}`, key.d === undefined ? 'public' : 'private'].join(
    '\t',
  );
}

/** Keys held here with their private half that may sign at `at` or later: what a rotation hands over from. */
function signingFrom(keys: readonly StoredKey[], at: string): StoredKey[] {
  return keys.filter((key) => key.d !== undefined && (key.retiredAt === undefined || key.retiredAt > at));
}

function retirementTime(given: string | undefined, now: Date): string {
  const earliest = new Date(now.getTime() + ROTATION_LEAD_MS);
  if (given === undefined) return earliest.toISOString();
  const date = new Date(given);
  if (!/^\d{4}-\d{2}-\d{2}/.test(given) || Number.isNaN(date.getTime()))
    throw new UsageError(`Expected --at to be an ISO 8601 time such as 2027-01-31T12:00:00Z, got ${JSON.stringify(given)}`);
  if (date <= now) {
    throw new UsageError(
      `Expected --at to be in the future, got ${date.toISOString()}: a retirement in the past would void records that every reader has already judged valid`,
    );
  }
  if (date < earliest) {
    throw new UsageError(
      `Expected --at no sooner than ${earliest.toISOString()} (${seconds(ROTATION_LEAD_MS)} from now), got ${date.toISOString()}: instances read the file within ${seconds(KEY_RELOAD_BOUND_MS)}, and a writer that has not read a retirement yet would sign records the others judge void`,
    );
  }
  return date.toISOString();
}

function create(file: string, now: Date): string[] {
  const key = newStoredKey(now);
  updateSigningFile(file, (keys) => [...keys, key]);
  return [
    `Created signing key ${key.kid}, which may sign from ${key.notBefore}, in ${file}; running instances read it within ${seconds(KEY_RELOAD_BOUND_MS)}.`,
    key.kid,
  ];
}

function rotate(file: string, now: Date): string[] {
  const key = newStoredKey(new Date(now.getTime() + ROTATION_LEAD_MS));
  const retiredAt = new Date(now.getTime() + ROTATION_LEAD_MS + ROTATION_OVERLAP_MS).toISOString();
  let replaced: StoredKey[] = [];
  updateSigningFile(file, (keys) => {
    // Keys that start signing only after the retirement (written by hand) cannot be retired then: left as they are.
    replaced = signingFrom(keys, retiredAt).filter((old) => old.notBefore < retiredAt);
    if (replaced.length === 0) throw new UsageError(`No signing key to rotate in ${file}: \`signing create\` adds one that signs at once`);
    const retiring = new Set(replaced.map(({ kid }) => kid));
    return [...keys.map((old) => (retiring.has(old.kid) ? { ...old, retiredAt } : old)), key];
  });
  return [
    `Added signing key ${key.kid}, which signs from ${key.notBefore} (in ${seconds(ROTATION_LEAD_MS)}: every instance reads the file within ${seconds(KEY_RELOAD_BOUND_MS)}).`,
    `Retiring ${replaced.map(({ kid }) => kid).join(', ')} at ${retiredAt}: records signed before stay valid.`,
    key.kid,
  ];
}

function retire(file: string, kid: string, at: string, now: Date): string[] {
  const earliest = new Date(now.getTime() + ROTATION_LEAD_MS).toISOString();
  let others: StoredKey[] = [];
  updateSigningFile(file, (keys) => {
    const key = keys.find((stored) => stored.kid === kid);
    if (key === undefined) throw new UsageError(`No signing key ${JSON.stringify(kid)} in ${file}; list shows the ids`);
    // A retirement every instance may already act on is fixed: moving it would change verdicts already reached.
    if (key.retiredAt !== undefined && key.retiredAt < earliest) throw new UsageError(`${kid} is retired already, from ${key.retiredAt}`);
    if (at <= key.notBefore) throw new UsageError(`Expected --at after ${kid} starts signing (${key.notBefore}), got ${at}`);
    others = signingFrom(keys, at).filter((other) => other.kid !== kid);
    return keys.map((stored) => (stored.kid === kid ? { ...stored, retiredAt: at } : stored));
  });
  return [
    `${kid} signs nothing from ${at}; records it signed before stay valid, and records it signs from then on are void (retired_key).`,
    ...(others.some((other) => maySignAt(other, at))
      ? []
      : [`No other key here may sign at ${at}: issuing stops then (503 signing_unavailable) until \`signing create\` adds one.`]),
  ];
}

/** What `npm run keys -- signing …` prints on stdout; the new key's id, on `create` and `rotate`, alone on the last line. */
export function runSigningCommand(argv: readonly string[], file: string, now = new Date()): string[] {
  const { values, positionals } = parseArgs({ args: [...argv], options: { at: { type: 'string' } }, allowPositionals: true, strict: true });
  const [command, ...rest] = positionals;
  if (command !== 'retire' && values.at !== undefined) throw new UsageError('Expected --at only with retire');
  if (command !== 'retire' && rest.length > 0) throw new UsageError(`Expected nothing after ${command}, got ${rest.join(' ')}`);
  switch (command) {
    case 'create':
      return create(file, now);
    case 'rotate':
      return rotate(file, now);
    case 'retire': {
      const [kid, ...more] = rest;
      if (kid === undefined || more.length > 0) throw new UsageError('Expected one key id after retire (the first column of list)');
      return retire(file, kid, retirementTime(values.at, now), now);
    }
    case 'list':
      return readSigningKeysOrNone(file).map(line);
    case 'public':
      return [JSON.stringify(new SigningKeys(signingKeysOf(readSigningKeysOrNone(file), file)).publicSet(), null, 2)];
    default:
      throw new UsageError(command === undefined ? 'Expected a signing command' : `Unknown signing command ${JSON.stringify(command)}`);
  }
}
