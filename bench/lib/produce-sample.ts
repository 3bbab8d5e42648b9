import { cpuUsage } from 'node:process';
import { encodeValue } from '../../src/core/record-format.js';
import { cpuSeconds } from './cpu.js';
import { summarise } from './stats.js';

/** A certificate record's value as the service writes it. */
export function certificateValue(number: number): string {
  return encodeValue({
    id: `CS-${number}`,
    class: 'CS',
    number,
    name: 'Salt Bae',
    amount: 1,
    issuedAt: new Date().toISOString(),
    sharesIssued: number,
    offset: number - 1,
    request: `produce-${number}`,
  });
}

/**
 * Sequential produces of `batch` records each, after a warm-up: round-trip latency, this process's
 * CPU per produce and, given the broker's pid, the broker's.
 */
export async function measureProduces(
  label: string,
  batch: number,
  sends: number,
  send: (values: string[]) => Promise<unknown>,
  brokerPid?: number,
) {
  const values = Array.from({ length: batch }, (_, i) => certificateValue(i + 1));
  for (let i = 0; i < 100; i++) await send(values);
  const samples: number[] = [];
  const cpu = cpuUsage();
  const broker = brokerPid === undefined ? 0 : cpuSeconds(brokerPid);
  const started = performance.now();
  for (let i = 0; i < sends; i++) {
    const before = performance.now();
    await send(values);
    samples.push(performance.now() - before);
  }
  const wall = performance.now() - started;
  const used = cpuUsage(cpu);
  const result = {
    client: label,
    recordsPerProduce: batch,
    producesPerSecond: Math.round(sends / (wall / 1000)),
    latencyMs: summarise(samples),
    cpuPerProduceUs: Math.round((used.user + used.system) / sends),
    ...(brokerPid === undefined ? {} : { brokerCpuPerProduceUs: Math.round(((cpuSeconds(brokerPid) - broker) * 1e6) / sends) }),
  };
  console.log(JSON.stringify(result));
  return result;
}
