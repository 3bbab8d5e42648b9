import { cpuUs, epochMs, listen, tell } from './common.js';
import { READERS, reader, type ReaderName } from './readers.js';

/**
 * One reader in a process of its own, so that its CPU time is its own (process.cpuUsage).
 *
 *   tail-child.ts READER BROKERS TOPIC follow FROM   follows from FROM; the bench sends `mark` (start
 *       counting), then `until` with an offset: the answer `result` has the CPU used from the mark to
 *       the delivery of that offset, and every chunk delivered meanwhile as [first offset, count, epoch ms].
 *   tail-child.ts READER BROKERS TOPIC range FROM TO   reads [FROM, TO) once and answers `result` with
 *       the CPU and wall time of the whole read (client set-up and close included).
 */
const [name, brokers, topic, mode, fromText, toText] = process.argv.slice(2);
if (!(READERS as readonly string[]).includes(name ?? '') || brokers === undefined || topic === undefined) {
  throw new Error(`usage: tail-child.ts ${READERS.join('|')} BROKERS TOPIC follow FROM | range FROM TO`);
}
const client = reader(name as ReaderName, brokers, topic);
const from = Number(fromText);

if (mode === 'range') {
  const to = Number(toText);
  const cpu = cpuUs();
  const started = performance.now();
  let records = 0;
  let expected = from;
  await client.range(from, to, (entries) => {
    for (const entry of entries) {
      if (entry.offset !== expected) throw new Error(`expected offset ${expected}, got ${entry.offset}`);
      expected += 1;
    }
    records += entries.length;
  });
  tell({ type: 'result', records, cpuUs: cpuUs() - cpu, wallMs: performance.now() - started });
  process.exit(0);
} else {
  let next = from;
  let marked: { chunks: number[] } | undefined;
  let until: number | undefined;
  let cpuAtMark = 0;
  const finish = (): void => {
    if (marked === undefined || until === undefined || next < until) return;
    tell({ type: 'result', cpuUs: cpuUs() - cpuAtMark, chunks: marked.chunks });
    until = undefined;
    marked = undefined;
  };
  const following = client.follow(
    from,
    (entries) => {
      const first = entries[0]!.offset;
      if (first !== next) throw new Error(`expected offset ${next}, got ${first}`);
      next = entries[entries.length - 1]!.offset + 1;
      marked?.chunks.push(first, entries.length, epochMs());
      // Only the warm-up is watched by the bench: no message costs the measured window anything.
      if (marked === undefined) tell({ type: 'progress', next });
      finish();
    },
    (error) => {
      console.error('[tail-child] the follow failed:', error);
      process.exit(1);
    },
  );
  listen(async (message) => {
    if (message.type === 'mark') {
      cpuAtMark = cpuUs();
      marked = { chunks: [] };
      tell({ type: 'marked', next });
    } else if (message.type === 'until') {
      until = Number(message.offset);
      finish();
    } else if (message.type === 'stop') {
      await following.stop();
      tell({ type: 'stopped' });
      process.exit(0);
    }
  });
  tell({ type: 'ready' });
}
