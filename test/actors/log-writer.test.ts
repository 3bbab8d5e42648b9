import { describe, expect, it } from 'vitest';
import { LogWriter, type Settlement } from '../../src/actors/log-writer.js';
import { DEFAULTS } from '../../src/config.js';
import { certificateOf, type CertificateRecord } from '../../src/core/certificate.js';
import { CertificateError } from '../../src/core/errors.js';
import { LogState } from '../../src/core/log-state.js';
import { checkProof } from '../../src/core/proof.js';
import { FakeLedger, foreignRecord } from '../support/fake-ledger.js';
import { signingKeys } from '../support/signing.js';

const CLASSES = [
  { code: 'CS', authorized: 100 },
  { code: 'PS', authorized: 100 },
];

/** A record as an actor hands it to the writer: numbered, naming its request, no offset yet. */
const numbered = (shareClass: string, number: number, request: string): CertificateRecord => ({
  ...foreignRecord(shareClass, number),
  request,
});

/** A writer over the ledger with a fresh state, and the resyncs it tells of. */
function writerOn(ledger: FakeLedger) {
  const state = new LogState(CLASSES, DEFAULTS.keyWindow);
  const resyncs: string[] = [];
  const writer = new LogWriter(ledger, state, { observer: { resynced: (reason) => resyncs.push(reason) } });
  return { state, writer, resyncs };
}

/** What a commit answered, record by record: the request its certificate answers, or null when the log holds none for it. */
const answered = (settlement: Settlement): Array<string | null> => settlement.map((certificate) => certificate?.record?.request ?? null);

/** What the log holds, as `id@offset-it-sits-at/offset-stated`. */
const layout = (ledger: FakeLedger) => ledger.records.map((record, offset) => `${record.id}@${offset}/${record.offset}`);

describe('LogWriter', () => {
  it('reads the log before its first write, then applies writes that land where stated from memory, with no read, answering each record its certificate', async () => {
    const ledger = new FakeLedger();
    ledger.inject([foreignRecord('CS', 1, { offset: 0 })]);
    const { state, writer, resyncs } = writerOn(ledger);
    expect(answered(await writer.commit([numbered('CS', 2, 'r2')]))).toEqual(['r2']);
    expect(ledger.reads).toBe(1);
    expect(answered(await writer.commit([numbered('CS', 3, 'r3'), numbered('PS', 1, 'p1')]))).toEqual(['r3', 'p1']);
    const [cs4] = await writer.commit([numbered('CS', 4, 'r4')]);
    expect(cs4?.record).toMatchObject({ id: 'CS-4', offset: 4, request: 'r4' });
    expect(ledger.reads).toBe(1);
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-2@1/1', 'CS-3@2/2', 'PS-1@3/3', 'CS-4@4/4']);
    expect([state.end, state.voidRecords, resyncs]).toEqual([5, 0, []]);
  });

  it('answers the submissions that shared one write each their own records’ certificates', async () => {
    const ledger = new FakeLedger();
    const { writer } = writerOn(ledger);
    await writer.sync();
    const [cs, ps] = await Promise.all([
      writer.commit([numbered('CS', 1, 'c1'), numbered('CS', 2, 'c2')]),
      writer.commit([numbered('PS', 1, 'p1')]),
    ]);
    expect([answered(cs), answered(ps), ledger.appends]).toEqual([['c1', 'c2'], ['p1'], [3]]);
  });

  it('reads the log when its write landed past the stated offset, applying the other writer’s records and answering none of its own', async () => {
    const ledger = new FakeLedger();
    const { state, writer, resyncs } = writerOn(ledger);
    await writer.commit([numbered('CS', 1, 'r1')]);
    ledger.inject([foreignRecord('CS', 2, { offset: 1 }), foreignRecord('PS', 1, { offset: 2 })]);
    expect(answered(await writer.commit([numbered('CS', 2, 'r2')]))).toEqual([null]);
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-2@1/1', 'PS-1@2/2', 'CS-2@3/1']);
    expect(state.index('CS')!.get(2)!.name).toBe('Holder 2');
    expect([state.end, state.voidRecords, resyncs]).toEqual([4, 1, ['landed_elsewhere']]);
    // Its next write states the true end again, and lands where stated.
    await writer.commit([numbered('CS', 3, 'r3')]);
    expect(layout(ledger).at(-1)).toBe('CS-3@4/4');
  });

  it('recognises on reading the log a write that landed in place although its acknowledgement was lost', async () => {
    const ledger = new FakeLedger();
    const { state, writer, resyncs } = writerOn(ledger);
    ledger.failNext('lost-ack');
    expect(answered(await writer.commit([numbered('CS', 1, 'r1')]))).toEqual(['r1']);
    expect([ledger.records.length, ledger.reads, state.voidRecords, resyncs]).toEqual([1, 2, 0, ['failed']]);
  });

  it('applies nothing of a write that failed without landing, and states the same offset on its next write', async () => {
    const ledger = new FakeLedger();
    const { state, writer, resyncs } = writerOn(ledger);
    ledger.failNext('not-landed');
    expect(answered(await writer.commit([numbered('CS', 1, 'r1')]))).toEqual([null]);
    expect([state.end, ledger.records.length, resyncs]).toEqual([0, 0, ['failed']]);
    expect(answered(await writer.commit([numbered('CS', 1, 'r1-again')]))).toEqual(['r1-again']);
    expect(layout(ledger)).toEqual(['CS-1@0/0']);
  });

  it('recognises a write given up on that lands late where it was stated, when a later write of the same request finds its offset taken', async () => {
    const ledger = new FakeLedger();
    const { writer } = writerOn(ledger);
    ledger.failNext('late');
    expect(answered(await writer.commit([numbered('CS', 1, 'r1')]))).toEqual([null]);
    expect(ledger.deliverLate()).toBe(true);
    // Numbered again for the same request: the log holds its first attempt, and that is its answer.
    const [found] = await writer.commit([numbered('CS', 1, 'r1')]);
    expect(found?.record).toMatchObject({ id: 'CS-1', offset: 0, request: 'r1' });
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-1@1/0']);
  });

  it('answers a request whose certificate a sync read in, though its record no longer continues its class and is not written', async () => {
    const ledger = new FakeLedger();
    const { writer } = writerOn(ledger);
    ledger.failNext('late');
    await writer.commit([numbered('CS', 1, 'r1')]);
    ledger.deliverLate();
    const [found] = await Promise.all([writer.commit([numbered('CS', 1, 'r1')]), writer.sync()]);
    expect(answered(found)).toEqual(['r1']);
    expect(ledger.appends).toEqual([1]);
  });

  it('rejects a commit when the log can be neither written nor read, and reads before stating any offset again', async () => {
    const ledger = new FakeLedger();
    const { state, writer } = writerOn(ledger);
    await writer.sync();
    ledger.failNext('not-landed');
    ledger.failReads = true;
    await expect(writer.commit([numbered('CS', 1, 'r1')])).rejects.toThrow(/unreachable/);
    ledger.failReads = false;
    ledger.inject([foreignRecord('CS', 1, { offset: 0 })]);
    // Numbered before the read: CS-1 no longer continues the class, so nothing is written.
    expect(answered(await writer.commit([numbered('CS', 1, 'r1-again')]))).toEqual([null]);
    expect(ledger.appends).toEqual([1]);
    expect(state.index('CS')!.get(1)!.name).toBe('Holder 1');
  });

  it('writes only the records that still continue their classes; the others go back to their actors unwritten', async () => {
    const ledger = new FakeLedger();
    const { state, writer } = writerOn(ledger);
    await writer.commit([numbered('CS', 1, 'r1')]);
    // A tail brings another writer's CS-2 between the actors numbering and the write.
    const foreign = foreignRecord('CS', 2, { offset: 1 });
    ledger.inject([foreign]);
    state.apply([{ offset: 1, record: foreign }]);
    const answers = await writer.commit([numbered('CS', 2, 'r2'), numbered('CS', 3, 'r3'), numbered('PS', 1, 'p1')]);
    expect(answered(answers)).toEqual([null, null, 'p1']);
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-2@1/1', 'PS-1@2/2']);
  });

  it('sync reads in what others wrote and writes nothing; after forget, the next write reads the log first', async () => {
    const ledger = new FakeLedger();
    const { state, writer } = writerOn(ledger);
    await writer.commit([numbered('CS', 1, 'r1')]);
    ledger.inject([foreignRecord('CS', 2, { offset: 1 })]);
    await writer.sync();
    expect([state.end, ledger.appends]).toEqual([2, [1]]);

    ledger.inject([foreignRecord('CS', 3, { offset: 2 })]);
    writer.forget();
    expect(answered(await writer.commit([numbered('CS', 3, 'r3')]))).toEqual([null]);
    expect([state.index('CS')!.get(3)!.name, state.voidRecords, ledger.appends]).toEqual(['Holder 3', 0, [1]]);
  });

  it('lets two writers share one log: the one whose write lands second finds it void, and both states agree', async () => {
    const ledger = new FakeLedger();
    const a = writerOn(ledger);
    const b = writerOn(ledger);
    await Promise.all([a.writer.sync(), b.writer.sync()]);
    ledger.hold();
    const writes = [a.writer.commit([numbered('CS', 1, 'a1')]), b.writer.commit([numbered('CS', 1, 'b1')])];
    await ledger.waitForHeld(2);
    ledger.complete(1);
    ledger.complete(0);
    const [aAnswers, bAnswers] = await Promise.all(writes);
    await b.writer.sync();
    expect(layout(ledger)).toEqual(['CS-1@0/0', 'CS-1@1/0']);
    expect([answered(aAnswers!), answered(bAnswers!), a.resyncs, b.resyncs]).toEqual([[null], ['b1'], ['landed_elsewhere'], []]);
    expect([a.state.end, a.state.voidRecords]).toEqual([b.state.end, b.state.voidRecords]);
  });
});

describe('LogWriter signing its writes', () => {
  const keys = signingKeys();

  /** A writer signing with the test's key (or holding none) over the ledger, with a state judging with that key. */
  function signingWriterOn(ledger: FakeLedger, signs = true) {
    const state = new LogState(CLASSES, DEFAULTS.keyWindow, undefined, keys);
    const resyncs: string[] = [];
    const writer = new LogWriter(ledger, state, {
      observer: { resynced: (reason) => resyncs.push(reason) },
      ...(signs ? { signer: keys } : {}),
    });
    return { state, writer, resyncs };
  }

  /** The log as `id@offset` and `seal@offset`. */
  const entries = (ledger: FakeLedger) =>
    ledger.entries().map((entry) => `${entry.record?.id ?? (entry.seal ? 'seal' : 'malformed')}@${entry.offset}`);

  it('appends each write as its records then their seal, in one append, and answers each certificate with its proof, from memory', async () => {
    const ledger = new FakeLedger();
    const { state, writer, resyncs } = signingWriterOn(ledger);
    const [first] = await writer.commit([numbered('CS', 1, 'r1')]);
    const second = await writer.commit([numbered('CS', 2, 'r2'), numbered('PS', 1, 'p1')]);
    expect(entries(ledger)).toEqual(['CS-1@0', 'seal@1', 'CS-2@2', 'PS-1@3', 'seal@4']);
    expect([ledger.appends, ledger.reads, resyncs]).toEqual([[2, 3], 1, []]);
    expect([first, ...second].map((applied) => [applied?.record?.id, applied?.record?.seal, applied?.proof?.seal.offset])).toEqual([
      ['CS-1', 1, 1],
      ['CS-2', 4, 4],
      ['PS-1', 4, 4],
    ]);
    for (const applied of [first, ...second]) expect(checkProof(certificateOf(applied!.record!), applied!.proof!, keys)).toBe('ok');
    expect(second[0]!.proof!.seal.head.prev).toBe(first!.proof!.seal.hash);
    // A reader of the log finds the same certificates, the same head, and nothing void.
    const reader = new LogState(CLASSES, DEFAULTS.keyWindow, undefined, keys);
    expect(reader.apply(ledger.entries()).map(({ record }) => record!.id)).toEqual(['CS-1', 'CS-2', 'PS-1']);
    expect([reader.head, reader.voidRecords, state.voidRecords, state.end]).toEqual([state.head, 0, 0, 5]);
  });

  it('refuses to write on a signed log without a signing key (signing_unavailable, retryable), appending nothing', async () => {
    const ledger = new FakeLedger();
    await signingWriterOn(ledger).writer.commit([numbered('CS', 1, 'r1')]);
    const { writer } = signingWriterOn(ledger, false);
    const refused = await writer.commit([numbered('CS', 2, 'r2')]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CertificateError);
    expect(refused).toMatchObject({ code: 'signing_unavailable', canRetry: true });
    expect([entries(ledger), ledger.appends]).toEqual([['CS-1@0', 'seal@1'], [2]]);
  });

  it('lets two signing writers share one log: the write that lands second is void, its seal too, and both states agree on the head', async () => {
    const ledger = new FakeLedger();
    const a = signingWriterOn(ledger);
    const b = signingWriterOn(ledger);
    await Promise.all([a.writer.sync(), b.writer.sync()]);
    ledger.hold();
    const writes = [a.writer.commit([numbered('CS', 1, 'a1')]), b.writer.commit([numbered('CS', 1, 'b1')])];
    await ledger.waitForHeld(2);
    ledger.complete(1);
    ledger.complete(0);
    const [aAnswers, bAnswers] = await Promise.all(writes);
    await b.writer.sync();
    expect(entries(ledger)).toEqual(['CS-1@0', 'seal@1', 'CS-1@2', 'seal@3']);
    expect([answered(aAnswers!), answered(bAnswers!), a.resyncs, b.resyncs]).toEqual([[null], ['b1'], ['landed_elsewhere'], []]);
    expect([a.state.end, a.state.voidRecords, a.state.head]).toEqual([4, 2, b.state.head]);
    expect([b.state.end, b.state.voidRecords, b.state.head?.offset]).toEqual([4, 2, 1]);
  });
});
