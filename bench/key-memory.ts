/**
 * Memory per remembered Idempotency-Key: the heap a service's log state holds for N certificates
 * read from the log with a UUID key each, minus the same N certificates without keys; once for
 * records without a principal (keys in their bare scope) and once for records of an API key's
 * principal (keys scoped to it, src/core/provenance.ts).
 * Run: node --expose-gc --import tsx bench/key-memory.ts [N]   (default 200,000)
 */
import { randomUUID } from 'node:crypto';
import { LogState } from '../src/core/log-state.js';
import type { LoggedRecord } from '../src/core/logged-record.js';
import { encodeValue, readRecord } from '../src/core/record-format.js';

const count = Number(process.argv[2] ?? 200_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('Expected node --expose-gc, got a node without gc()');
const collect = gc;
const CHUNK = 1000;

/** The heap a log state holds after applying `count` certificates of class CS, each decoded as the reader decodes it. */
function heldBytes(keyed: boolean, principal: string | undefined): { bytes: number; remembered: number } {
  collect();
  const before = process.memoryUsage().heapUsed;
  const state = new LogState([{ code: 'CS', authorized: Number.MAX_SAFE_INTEGER }], {
    windowMs: 365 * 86_400_000,
    maxKeys: count,
  });
  const start = Date.UTC(2026, 0, 1);
  for (let from = 0; from < count; from += CHUNK) {
    const entries: LoggedRecord[] = [];
    for (let offset = from; offset < Math.min(count, from + CHUNK); offset++) {
      const number = offset + 1;
      const value = encodeValue({
        id: `CS-${number}`,
        class: 'CS',
        number,
        name: 'Salt Bae',
        amount: 1,
        issuedAt: new Date(start + offset).toISOString(),
        sharesIssued: number,
        offset,
        request: `writer-${number}`,
        ...(keyed ? { idempotencyKey: randomUUID() } : {}),
        ...(principal === undefined ? {} : { principal, requestId: `3f9a0c41d27be85a16-${number.toString(36)}` }),
      });
      entries.push(readRecord(offset, 'CS', value));
    }
    state.apply(entries);
  }
  collect();
  const bytes = process.memoryUsage().heapUsed - before;
  const remembered = state.rememberedKeys;
  // Kept reachable until measured.
  if (state.end !== count) throw new Error(`Expected the state to end at ${count}, got ${state.end}`);
  return { bytes, remembered };
}

for (const principal of [undefined, 'key:k7Qm2xR4vT9bN3cW']) {
  const runs = [1, 2, 3].map(() => {
    const plain = heldBytes(false, principal);
    const keyed = heldBytes(true, principal);
    if (keyed.remembered !== count) throw new Error(`Expected ${count} remembered keys, got ${keyed.remembered}`);
    return (keyed.bytes - plain.bytes) / count;
  });
  const median = [...runs].sort((a, b) => a - b)[1]!;
  console.log(
    `${count.toLocaleString('en-US')} UUID keys ${principal === undefined ? 'without a principal' : `scoped to ${principal}`}: ` +
      `${runs.map((bytes) => bytes.toFixed(0)).join(', ')} bytes per key (median ${median.toFixed(0)}); ` +
      `a million keys ≈ ${Math.round((median * 1_000_000) / 1024 / 1024)} MiB of heap`,
  );
}
