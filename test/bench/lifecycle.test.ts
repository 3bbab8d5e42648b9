import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKeyFile } from '../../src/auth/key-file.js';
import { besideIssuance, closedLoop, lifecycleKeys, phaseResult, type Answer } from '../../bench/lib/lifecycle.js';
import { parseOptions } from '../../bench/lib/options.js';

const answer = (ms: number, status = 201): Answer => ({ ms, status });

describe("the lifecycle step: a transfer's latency beside an issuance's", () => {
  it('sends every request once from at most `clients` clients at a time, answers in request order', async () => {
    let inFlight = 0;
    let most = 0;
    const sent: number[] = [];
    const answers = await closedLoop(50, 7, async (index) => {
      sent.push(index);
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, (index * 7) % 5));
      inFlight--;
      return index * 10;
    });
    expect(most).toBe(7);
    expect([...sent].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, index) => index));
    expect(answers).toEqual(Array.from({ length: 50 }, (_, index) => index * 10));
    expect(await closedLoop(2, 20, (index) => Promise.resolve(index))).toEqual([0, 1]);
  });

  it('reads phases of one kind as one scenario: percentiles over every answer, throughput and CPU over their summed time', () => {
    const result = phaseResult('e-issue', 'issuance', [
      { answers: [answer(1), answer(2), answer(3)], seconds: 0.5, cpuSeconds: 0.0003 },
      { answers: [answer(4), answer(100, 409)], seconds: 0.5, cpuSeconds: 0.0002 },
    ]);
    expect(result).toMatchObject({
      id: 'e-issue',
      tool: 'client',
      requestsPerSecond: 5,
      total: 5,
      statuses: { '201': 4, '409': 1 },
      non2xx: 1,
      latencyMs: { p50: 3, p99: 100, max: 100 },
    });
    expect(result.serverCpuUsPerRequest).toBeCloseTo(100);
  });

  it("reads the transfer's throughput and p99 over the issuance's", () => {
    const issued = phaseResult('e-issue', 'issuance', [{ answers: [answer(2), answer(4)], seconds: 1, cpuSeconds: 0 }]);
    const transferred = phaseResult('e-transfer', 'transfer', [{ answers: [answer(6)], seconds: 1, cpuSeconds: 0 }]);
    expect(besideIssuance(transferred, issued)).toMatchObject({ reference: 'e-issue', ratioToReference: 0.5, p99OverReference: 1.5 });
  });

  it('issues with a key that may only issue and transfers with one that may only transfer', () => {
    const { env, headers } = lifecycleKeys();
    const records = parseKeyFile(readFileSync(env.API_KEYS_FILE!, 'utf8'), env.API_KEYS_FILE!);
    expect(records.map((record) => record.roles)).toEqual([['certificates:issue'], ['certificates:transfer']]);
    expect(headers.issue.authorization).not.toBe(headers.transfer.authorization);
  });

  it('is a step of its own, in every run by default, sized by BENCH_LIFECYCLE_CERTIFICATES and BENCH_LIFECYCLE_PER_ROUND', () => {
    expect([...parseOptions(['--only=lifecycle'], {}).steps]).toEqual(['lifecycle']);
    expect(parseOptions([], {}).steps.has('lifecycle')).toBe(true);
    const sized = parseOptions([], { BENCH_LIFECYCLE_CERTIFICATES: '300', BENCH_LIFECYCLE_PER_ROUND: '100' });
    expect([sized.lifecycleCertificates, sized.lifecyclePerRound]).toEqual([300, 100]);
    expect(() => parseOptions([], { BENCH_LIFECYCLE_PER_ROUND: '0' })).toThrow(/BENCH_LIFECYCLE_PER_ROUND/);
  });
});
