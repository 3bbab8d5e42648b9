import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certificateId, type CertificateRecord } from '../../src/core/certificate.js';
import type { LoggedRecord } from '../../src/core/logged-record.js';
import type { EventRecord } from '../../src/core/events.js';
import { LogState } from '../../src/core/log-state.js';
import { scopedKey } from '../../src/core/provenance.js';
import { SnapshotFile } from '../../src/state/snapshot-file.js';
import { GENERATED_KEY_FILE, stateKey } from '../../src/state/state-key.js';
import { newStoredKey } from '../../src/signing/key-file.js';
import { certificates } from '../support/certificates.js';
import { SignedLogBuilder, type Laid } from '../support/signed-log.js';
import { keysOf } from '../support/signing.js';

const CLASSES = [
  { code: 'CS', authorized: 1_000_000 },
  { code: 'PS', authorized: 500 },
];
const WINDOW = { windowMs: 60_000, maxKeys: 50 };
const dir = mkdtempSync(join(tmpdir(), 'snapshot-'));
const KEY = Buffer.from('a state key of at least thirty-two bytes');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A log with everything a state must carry over: certificates of two classes, names in several
 * scripts, issue times the index keeps as numbers and ones it keeps as text, keys (more than the
 * window keeps), misplaced records, malformed ones, and PS running out.
 */
function build(count: number): LoggedRecord[] {
  const entries: LoggedRecord[] = [];
  const tails: Record<string, { number: number; total: number }> = { CS: { number: 0, total: 0 }, PS: { number: 0, total: 0 } };
  const names = ['Salt Bae', 'Zoë Ångström', '李雷', 'a 😀 b'];
  for (let offset = 0; offset < count; offset++) {
    if (offset % 17 === 5) {
      entries.push({ offset, malformed: `offset ${offset}: value is not JSON` });
      continue;
    }
    const shareClass = offset % 3 === 0 ? 'PS' : 'CS';
    const tail = tails[shareClass]!;
    const amount = (offset % 7) + 1;
    const record: CertificateRecord = {
      id: `${shareClass}-${tail.number + 1}`,
      class: shareClass,
      number: tail.number + 1,
      name: names[offset % names.length]!,
      amount,
      issuedAt:
        offset % 11 === 0
          ? `2026-11-24T15:31:${String(offset % 60).padStart(2, '0')}Z`
          : new Date(1_764_000_000_000 + offset * 1000).toISOString(),
      sharesIssued: tail.total + amount,
      // Every 13th record states another offset: misplaced, void, and its number taken again next.
      offset: offset % 13 === 7 ? offset - 1 : offset,
      request: `r-${offset}`,
      ...(offset % 4 === 1 ? { idempotencyKey: `key-${offset % 200}` } : {}),
      // Half of the keyed records name their principal: the same key is then remembered in several scopes.
      ...(offset % 8 === 1 ? { principal: `key:p${offset % 3}`, requestId: `q-${offset}` } : {}),
    };
    entries.push({ offset, record });
    if (record.offset === offset && record.sharesIssued <= (shareClass === 'PS' ? 500 : 1_000_000)) {
      tails[shareClass] = { number: record.number, total: record.sharesIssued };
    }
  }
  return entries;
}

function describeState(state: LogState, probeKeys: readonly string[], atMs: number) {
  const certificates = ['CS', 'PS'].flatMap((code) => {
    const index = state.index(code)!;
    return Array.from({ length: index.count }, (_, at) => index.get(at + 1));
  });
  return {
    end: state.end,
    voids: state.voidRecords,
    keys: state.rememberedKeys,
    certificates,
    recalled: probeKeys.map((key) => state.recall(key, atMs)?.id ?? null),
  };
}

const NOT_AUTHENTICATED =
  'not authenticated (its MAC differs): altered or damaged since it was written, or written under another state key';

describe('a state snapshot', () => {
  const entries = build(3000);
  const probeKeys = Array.from({ length: 200 }, (_, i) => `key-${i}`).flatMap((key) => [
    key,
    ...['key:p0', 'key:p1', 'key:p2'].map((principal) => scopedKey(principal, key)),
  ]);
  const atMs = 1_764_000_000_000 + 2990 * 1000;

  it('restored from its file, gives the same state as reading the log, and goes on alike with the records after it', async () => {
    const read = new LogState(CLASSES, WINDOW);
    read.apply(entries.slice(0, 2000));
    const file = new SnapshotFile(dir, 'certificates', KEY);
    await file.save(read.snapshot()!);
    const loaded = await file.load();
    expect(loaded.snapshot).toBeDefined();
    const restored = new LogState(CLASSES, WINDOW);
    expect(restored.restore(loaded.snapshot!)).toBe(true);
    expect(describeState(restored, probeKeys, atMs)).toEqual(describeState(read, probeKeys, atMs));

    read.apply(entries.slice(2000));
    restored.apply(entries.slice(2000));
    const after = describeState(read, probeKeys, atMs);
    expect(describeState(restored, probeKeys, atMs)).toEqual(after);
    expect(after.voids).toBeGreaterThan(100);
    expect(after.keys).toBeGreaterThan(10);
    expect(after.keys).toBeLessThanOrEqual(WINDOW.maxKeys);
    // Keys in a principal's scope and bare ones both came through.
    const recalled = probeKeys.filter((key) => restored.recall(key, atMs) !== undefined);
    expect(recalled.some((key) => key.includes('\u0000'))).toBe(true);
    expect(recalled.some((key) => !key.includes('\u0000'))).toBe(true);
    const next = { ...after.certificates.at(-1)!, request: 'probe' } as CertificateRecord;
    expect(restored.continuing([next])).toEqual(read.continuing([next]));
  });

  it('is refused for other classes, authorized totals or key window, since verdicts could differ', async () => {
    const read = new LogState(CLASSES, WINDOW);
    read.apply(entries.slice(0, 500));
    const snapshot = read.snapshot()!;
    expect(new LogState([CLASSES[0]!], WINDOW).restore(snapshot)).toBe(false);
    expect(new LogState([CLASSES[0]!, { code: 'PS', authorized: 501 }], WINDOW).restore(snapshot)).toBe(false);
    expect(new LogState(CLASSES, { ...WINDOW, maxKeys: 51 }).restore(snapshot)).toBe(false);
  });

  it('is not used when its file is damaged, truncated, of another topic or missing', async () => {
    const read = new LogState(CLASSES, WINDOW);
    read.apply(entries.slice(0, 300));
    const file = new SnapshotFile(dir, 'damaged', KEY);
    await file.save(read.snapshot()!);
    const good = readFileSync(file.path);
    const flipped = Buffer.from(good);
    flipped[flipped.length >> 1]! ^= 1;
    writeFileSync(file.path, flipped);
    expect(await file.load()).toEqual({ reason: NOT_AUTHENTICATED });
    writeFileSync(file.path, good.subarray(0, good.length - 10));
    expect((await file.load()).snapshot).toBeUndefined();
    writeFileSync(join(dir, 'other.state'), good);
    expect(await new SnapshotFile(dir, 'other', KEY).load()).toEqual({ reason: 'written for topic damaged' });
    expect(await new SnapshotFile(dir, 'missing', KEY).load()).toEqual({ reason: 'no snapshot yet' });
  });

  it('is written readable by its owner alone (0600), in a directory made 0700', async () => {
    const fresh = join(dir, 'fresh', 'state');
    const file = new SnapshotFile(fresh, 'certificates', KEY);
    const read = new LogState(CLASSES, WINDOW);
    read.apply(entries.slice(0, 100));
    await file.save(read.snapshot()!);
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
  });

  it('is refused when a name in it is changed, even with its sizes kept, or when it was written under another key', async () => {
    const read = new LogState(CLASSES, WINDOW);
    read.apply(entries.slice(0, 300));
    const file = new SnapshotFile(dir, 'altered', KEY);
    await file.save(read.snapshot()!);
    const good = readFileSync(file.path);
    // Same length, another holder: what someone with the disk would do to take a certificate.
    const renamed = Buffer.from(good.toString('latin1').replace('Salt Bae', 'Mal Lory'), 'latin1');
    expect(renamed.equals(good)).toBe(false);
    writeFileSync(file.path, renamed);
    expect(await file.load()).toEqual({ reason: NOT_AUTHENTICATED });
    writeFileSync(file.path, good);
    expect((await file.load()).snapshot).toBeDefined();
    expect(await new SnapshotFile(dir, 'altered', Buffer.from('another key of at least thirty-two bytes')).load()).toEqual({
      reason: NOT_AUTHENTICATED,
    });
  });

  it('is refused without allocating what a forged header claims: sizes that do not add up to the file are damage', async () => {
    const read = new LogState(CLASSES, WINDOW);
    read.apply(entries.slice(0, 50));
    const file = new SnapshotFile(dir, 'forged-size', KEY);
    await file.save(read.snapshot()!);
    const text = readFileSync(file.path).toString('latin1');
    const count = /"count":(\d+)/.exec(text)![1]!;
    // Same length of header: 10^(digits) - 1, far more than the file holds.
    writeFileSync(file.path, Buffer.from(text.replace(`"count":${count}`, `"count":${'9'.repeat(count.length)}`), 'latin1'));
    expect(await file.load()).toEqual({ reason: 'damaged (sizes differ)' });
    // A header claiming 4 GiB.
    const claiming = Buffer.from(text, 'latin1');
    claiming.writeUInt32LE(0xffffffff, 'CERTIFICATES-STATE-4\n'.length);
    writeFileSync(file.path, claiming);
    expect(await file.load()).toEqual({ reason: 'damaged (sizes differ)' });
  });

  it('is refused when written by an earlier version: before keys were scoped per principal (1), before signed heads (2)', async () => {
    const read = new LogState(CLASSES, WINDOW);
    read.apply(entries.slice(0, 300));
    const file = new SnapshotFile(dir, 'version-1', KEY);
    await file.save(read.snapshot()!);
    const current = readFileSync(file.path);
    expect(current.subarray(0, 21).toString()).toBe('CERTIFICATES-STATE-4\n');
    for (const version of ['CERTIFICATES-STATE-1\n', 'CERTIFICATES-STATE-2\n']) {
      const older = Buffer.from(current);
      older.write(version, 0);
      writeFileSync(file.path, older);
      expect(await file.load()).toEqual({ reason: 'not a snapshot of this version' });
    }
  });

  it('of a signed log is taken only between writes, and carries the signed head and where each write starts', async () => {
    const NOW = new Date('2026-06-01T12:00:00.000Z');
    const keys = keysOf(newStoredKey(new Date('2026-01-01T00:00:00.000Z')));
    const one = (shareClass: string, number: number) => certificates(shareClass, number, 1, 1);
    // A topic written unsigned first, then by signing writers, one write cut short (its seal never came).
    const log = new SignedLogBuilder(CLASSES, keys);
    const before = [
      log.unsigned([...one('CS', 1), ...one('PS', 1)]),
      log.signed([...one('CS', 2), ...one('PS', 2), ...one('CS', 3)], keys, NOW),
    ];
    const template = new SignedLogBuilder(CLASSES, keys);
    for (const { encoded } of before) template.land(encoded);
    const cut = template.signed(one('CS', 4), keys, NOW).encoded.slice(0, -1);
    const entries = [
      ...before.flatMap((write) => write.entries),
      ...log.land(cut).entries,
      ...log.signed([...one('PS', 3), ...one('CS', 4)], keys, NOW).entries,
    ];
    const upTo = entries.length;
    entries.push(...log.signed(one('CS', 5), keys, NOW).entries, ...log.unsigned(one('CS', 6)).entries);

    const read = new LogState(CLASSES, WINDOW, undefined, keys);
    read.apply(entries.slice(0, upTo - 1));
    expect(read.snapshot()).toBeUndefined();
    read.apply(entries.slice(upTo - 1, upTo));
    const file = new SnapshotFile(dir, 'signed', KEY);
    await file.save(read.snapshot()!);
    const loaded = await file.load();
    const restored = new LogState(CLASSES, WINDOW, undefined, keys);
    expect(restored.restore(loaded.snapshot!)).toBe(true);
    expect(restored.head).toEqual(read.head);
    expect(restored.head).toMatchObject({ offset: upTo - 1, head: { first: upTo - 3, count: 2 } });
    const writes = (state: LogState) => ['CS', 'PS'].map((code) => [1, 2, 3, 4].map((number) => state.index(code)!.writeOf(number)));
    expect(writes(restored)).toEqual([
      [undefined, 2, 2, 7],
      [undefined, 2, 7, undefined],
    ]);
    expect(writes(restored)).toEqual(writes(read));
    expect(describeState(restored, [], 0)).toEqual(describeState(read, [], 0));
    // The next signed write continues the restored head; a record outside a write is void.
    const after = entries.slice(upTo);
    expect(restored.apply(after).map(({ record }) => record!.id)).toEqual(read.apply(after).map(({ record }) => record!.id));
    expect(describeState(restored, [], 0)).toEqual(describeState(read, [], 0));
    expect(restored.head).toMatchObject({ offset: upTo + 1, head: { prev: loaded.snapshot!.progress.head!.hash } });
    // The write cut short (counted before the snapshot) and the unsigned record after it.
    expect([restored.voidRecords, restored.end]).toEqual([2, entries.length]);
  });
});

describe('a state snapshot with events', () => {
  const NOW = new Date('2026-06-01T12:00:00.000Z');
  const keys = keysOf(newStoredKey(new Date('2026-01-01T00:00:00.000Z')));
  const AT = '2026-05-01T00:00:00.000Z';
  const LEGEND = { id: 'rule-144', name: 'Rule 144', text: 'Not registered.' };
  const numbers: Record<string, number> = { CS: 0, PS: 0 };
  const totals: Record<string, number> = { CS: 0, PS: 0 };
  const ids: string[] = [];
  /** The next certificate of the class; an event's result when it states an `origin`. */
  const next = (code: string, amount: number, extra: Partial<CertificateRecord> = {}): CertificateRecord => {
    const number = (numbers[code]! += 1);
    const id = certificateId(code, number);
    ids.push(id);
    return { id, class: code, number, name: `Holder ${number}`, amount, issuedAt: AT, sharesIssued: (totals[code]! += amount), ...extra };
  };
  const event = (fields: Omit<EventRecord, 'class' | 'at'> & { class?: string }): EventRecord => ({ class: 'CS', at: AT, ...fields });

  it('restored, judges the records after it exactly as a state that read everything: statuses, authorized shares, legends, outstanding', async () => {
    const log = new SignedLogBuilder(CLASSES, keys);
    const writes: Laid[][] = [
      [
        event({ event: 'legend', legend: LEGEND }),
        next('CS', 10, { terms: { legends: ['rule-144'] } }),
        next('CS', 20),
        next('PS', 100),
        next('PS', 50),
      ],
      [
        event({
          event: 'transfer',
          certificate: 'CS-1',
          quantity: 4,
          results: ['CS-3', 'CS-4'],
          balance: 'CS-4',
          idempotencyKey: 'move',
          principal: 'user:ann',
          requestId: 'q-1',
        }),
        next('CS', 4, { origin: 0 }),
        next('CS', 6, { origin: 0, terms: { legends: ['rule-144'] } }),
      ],
      [
        event({ event: 'stop', certificate: 'CS-2' }),
        event({ class: 'PS', event: 'cancellation', certificate: 'PS-2', quantity: 30, results: ['PS-3'], balance: 'PS-3' }),
        next('PS', 20, { origin: 0 }),
      ],
      [event({ class: 'PS', event: 'adjustment', authorized: 200, approvedOn: '2026-04-30' })],
      [event({ event: 'reissuance', certificate: 'CS-3', results: ['CS-5'] }), next('CS', 4, { origin: 0 })],
    ];
    const entries = writes.flatMap((write) => log.signed(write, keys, NOW).entries);
    expect(log.state.voidRecords).toBe(0);
    // What follows: some valid, some void only because of what the events did.
    const after = [
      ...log.signed(
        [
          event({ event: 'reissuance', certificate: 'CS-2', results: ['CS-6'] }),
          next('CS', 20, { origin: 0, terms: { legends: ['rule-144'] } }),
        ],
        keys,
        NOW,
      ).entries,
      ...log.signed([event({ event: 'cancellation', certificate: 'CS-1', quantity: 10, results: [] })], keys, NOW).entries,
      ...log.signed([event({ event: 'stop', certificate: 'CS-3' })], keys, NOW).entries,
      ...log.signed([event({ event: 'legend', legend: LEGEND })], keys, NOW).entries,
      ...log.signed([event({ class: 'PS', event: 'adjustment', authorized: 119, approvedOn: '2026-05-01' })], keys, NOW).entries,
      // Exactly the 80 shares the adjusted class has left.
      ...log.signed([next('PS', 80)], keys, NOW).entries,
      ...log.signed([event({ event: 'cancellation', certificate: 'CS-4', quantity: 6, results: [] })], keys, NOW).entries,
    ];
    const heard = (state: string[]) => ({ voidRecord: (reason: string, offset: number) => void state.push(`${offset}:${reason}`) });
    const read = { heard: [] as string[], state: undefined as unknown as LogState };
    read.state = new LogState(CLASSES, WINDOW, heard(read.heard), keys);
    read.state.apply(entries);
    const file = new SnapshotFile(dir, 'events', KEY);
    await file.save(read.state.snapshot()!);
    const loaded = await file.load();
    const restored = { heard: [] as string[], state: new LogState(CLASSES, WINDOW, undefined, keys) };
    restored.state = new LogState(CLASSES, WINDOW, heard(restored.heard), keys);
    expect(restored.state.restore(loaded.snapshot!)).toBe(true);
    const describe = (state: LogState) => ({
      standing: ids.map((id) => {
        const [code, number] = id.split('-');
        const certificate = state.certificate(code!, Number(number));
        if (certificate === undefined) return [id, 'none'];
        const { status, closedBy, issuedBy } = state.standing(certificate);
        return [id, status, closedBy?.offset, issuedBy?.offset];
      }),
      figures: [state.figures('CS'), state.figures('PS')],
      legends: state.legends(),
      events: state.allEvents(),
      recalled: state.recallEvent(scopedKey('user:ann', 'move'), Date.parse(AT))?.offset,
      head: state.head,
    });
    expect(describe(restored.state)).toEqual(describe(read.state));
    expect(describe(read.state).figures).toMatchObject([
      { authorized: 1_000_000, issued: 44, outstanding: 30, certificates: 5, certificatesOutstanding: 3 },
      { authorized: 200, issued: 170, outstanding: 120, certificates: 3, certificatesOutstanding: 2 },
    ]);
    const applied = (state: LogState) =>
      state
        .apply(after)
        .map(({ record, event }) => record?.id ?? `${event!.record.event} ${event!.record.certificate ?? event!.record.class}`);
    expect(applied(restored.state)).toEqual(applied(read.state));
    expect(restored.heard).toEqual(read.heard);
    expect(describe(restored.state)).toEqual(describe(read.state));
    // The reissuance of the stopped CS-2, the PS issuance and the final cancellation of CS-4 valid; the rest void for what the events did.
    expect(read.heard.map((verdict) => verdict.split(':')[1])).toEqual([
      'not_outstanding',
      'not_outstanding',
      'duplicate_legend',
      'over_authorized',
    ]);
    expect(read.state.figures('PS')).toMatchObject({ authorized: 200, outstanding: 200, remaining: 0 });
  });
});

describe('the state key', () => {
  it('is made once in the state directory (0600) when none is given, and the same key is read by every later start', async () => {
    const keyed = join(dir, 'keyed');
    const [first, second] = await Promise.all([stateKey(keyed, undefined), stateKey(keyed, undefined)]);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(second.equals(first)).toBe(true);
    expect((await stateKey(keyed, undefined)).equals(first)).toBe(true);
    expect(statSync(join(keyed, GENERATED_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(keyed).mode & 0o777).toBe(0o700);
  });

  it('is the one given (STATE_KEY_FILE) when there is one, and makes no file then', async () => {
    const given = join(dir, 'given');
    expect((await stateKey(given, 'k'.repeat(32))).toString()).toBe('k'.repeat(32));
    expect(() => statSync(join(given, GENERATED_KEY_FILE))).toThrow(/ENOENT/);
  });
});
