import type { PartitionProducer } from '../../../src/log/wire/partition-producer.js';
import { certificateValues, Child, epochMs, mid, percentile, sleep } from './common.js';
import type { ReaderName } from './readers.js';

const CHILD = './tail-child.ts';

/** Writes batches of `batch` records at `ratePerSecond` records per second for `seconds`, at most 8 produces in flight; resolves with the log's end. */
export async function steadyLoad(
  producer: PartitionProducer,
  seconds: number,
  ratePerSecond: number,
  batch: number,
  onAck?: (base: number, count: number, at: number) => void,
): Promise<number> {
  const values = certificateValues(batch).map((value) => ({ key: 'CS', value }));
  const batches = Math.max(1, Math.round((seconds * ratePerSecond) / batch));
  const periodMs = (1000 * batch) / ratePerSecond;
  const start = performance.now();
  const inflight = new Set<Promise<void>>();
  let end = 0;
  for (let i = 0; i < batches; i++) {
    const wait = start + i * periodMs - performance.now();
    if (wait >= 1) await sleep(wait);
    while (inflight.size >= 8) await Promise.race(inflight);
    const tracked: Promise<void> = producer.produce(values, 5000).then((base) => {
      onAck?.(base, batch, epochMs());
      end = Math.max(end, base + batch);
      inflight.delete(tracked);
    });
    inflight.add(tracked);
  }
  await Promise.all(inflight);
  return end;
}

async function stopChild(child: Child): Promise<void> {
  const timer = setTimeout(() => child.kill(), 10_000);
  child.send({ type: 'stop' });
  await child.exited;
  clearTimeout(timer);
}

export interface TailRound {
  readonly reader: ReaderName;
  readonly records: number;
  readonly chunks: number;
  readonly cpuPer1000Us: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
}

export interface TailSettings {
  readonly brokers: string;
  readonly topic: string;
  readonly producer: PartitionProducer;
  readonly seconds: number;
  readonly ratePerSecond: number;
  readonly batch: number;
}

/** One reader follows the topic in a child process while this one writes steadily; its CPU per 1,000 records and the delay from ack to delivery. */
export async function measureTail(name: ReaderName, settings: TailSettings): Promise<TailRound> {
  const { brokers, topic, producer, seconds, ratePerSecond, batch } = settings;
  const from =
    (await producer.produce(
      certificateValues(1).map((value) => ({ key: 'CS', value })),
      5000,
    )) + 1;
  const child = new Child(CHILD, [name, brokers, topic, 'follow', String(from)]);
  try {
    await child.next((message) => message.type === 'ready', 60_000, `${name} ready`);
    // Warm-up: the group joined, the fetch loop turning, the code hot.
    const warmEnd = await steadyLoad(producer, 2, ratePerSecond, batch);
    await child.next((message) => message.type === 'progress' && Number(message.next) >= warmEnd, 30_000, `${name} warm-up delivery`);
    await child.ask({ type: 'mark' }, 'marked');
    const acks = new Map<number, number>();
    const end = await steadyLoad(producer, seconds, ratePerSecond, batch, (base, count, at) => {
      for (let offset = base; offset < base + count; offset++) acks.set(offset, at);
    });
    const result = await child.ask({ type: 'until', offset: end }, 'result', 60_000);
    const chunks = result.chunks as number[];
    const lags: number[] = [];
    for (let i = 0; i < chunks.length; i += 3) {
      const [first, count, at] = [chunks[i]!, chunks[i + 1]!, chunks[i + 2]!];
      for (let offset = first; offset < first + count; offset++) {
        const acked = acks.get(offset);
        if (acked !== undefined) lags.push(at - acked);
      }
    }
    const records = acks.size;
    return {
      reader: name,
      records,
      chunks: chunks.length / 3,
      cpuPer1000Us: Math.round((Number(result.cpuUs) / records) * 1000),
      lagP50Ms: Math.round(percentile(lags, 0.5) * 10) / 10,
      lagP99Ms: Math.round(percentile(lags, 0.99) * 10) / 10,
    };
  } finally {
    await stopChild(child);
  }
}

export interface RangeRound {
  readonly reader: ReaderName;
  readonly records: number;
  readonly cpuMsPer100k: number;
  readonly wallMsPer100k: number;
}

/** One reader, in a fresh child process, reads [from, to) once, as start-up does: CPU and wall time per 100k records. */
export async function measureRange(name: ReaderName, brokers: string, topic: string, from: number, to: number): Promise<RangeRound> {
  const child = new Child(CHILD, [name, brokers, topic, 'range', String(from), String(to)]);
  try {
    const result = await child.next((message) => message.type === 'result', 300_000, `${name} range read`);
    const records = Number(result.records);
    return {
      reader: name,
      records,
      cpuMsPer100k: Math.round(((Number(result.cpuUs) / 1000) * 100_000) / records),
      wallMsPer100k: Math.round((Number(result.wallMs) * 100_000) / records),
    };
  } finally {
    child.kill();
    await child.exited;
  }
}

export interface TailSummary {
  readonly reader: ReaderName;
  readonly cpuPer1000Us: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly chunks: number;
}

export async function tailWorkload(readers: readonly ReaderName[], rounds: number, settings: TailSettings): Promise<TailSummary[]> {
  const results: TailRound[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const name of readers) {
      const result = await measureTail(name, settings);
      console.log(JSON.stringify({ workload: 'tail', round, ...result }));
      results.push(result);
      await sleep(500);
    }
  }
  return readers.map((name) => {
    const mine = results.filter((result) => result.reader === name);
    return {
      reader: name,
      cpuPer1000Us: mid(mine.map((result) => result.cpuPer1000Us)),
      lagP50Ms: mid(mine.map((result) => result.lagP50Ms)),
      lagP99Ms: mid(mine.map((result) => result.lagP99Ms)),
      chunks: mid(mine.map((result) => result.chunks)),
    };
  });
}

export async function rangeWorkload(
  readers: readonly ReaderName[],
  rounds: number,
  brokers: string,
  topic: string,
  from: number,
  to: number,
): Promise<Array<{ reader: ReaderName; cpuMsPer100k: number; wallMsPer100k: number }>> {
  const results: RangeRound[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const name of readers) {
      const result = await measureRange(name, brokers, topic, from, to);
      console.log(JSON.stringify({ workload: 'range', round, ...result }));
      results.push(result);
    }
  }
  return readers.map((name) => {
    const mine = results.filter((result) => result.reader === name);
    return {
      reader: name,
      cpuMsPer100k: mid(mine.map((result) => result.cpuMsPer100k)),
      wallMsPer100k: mid(mine.map((result) => result.wallMsPer100k)),
    };
  });
}

/** Fills the topic with `records` certificate records, in batches of 100. */
export async function populate(producer: PartitionProducer, records: number): Promise<number> {
  return steadyLoad(producer, records / 100_000, 100_000, 100);
}
