import { describe, expect, it } from 'vitest';
import { withAuthRatios } from '../../bench/lib/auth-cost.js';
import type { ScenarioResult } from '../../bench/lib/model.js';
import { parseOptions } from '../../bench/lib/options.js';

const scenario = (id: string, requestsPerSecond: number, p99: number): ScenarioResult => ({
  id,
  label: id,
  tool: 'autocannon',
  requestsPerSecond,
  latencyMs: { p50: 1, p90: 2, p99, max: p99 * 2 },
  total: requestsPerSecond * 10,
  statuses: { '201': requestsPerSecond * 10 },
  non2xx: 0,
  errors: 0,
  timeouts: 0,
});

describe("authentication's cost in the bench", () => {
  it('reads each authenticated scenario over the auth-off scenario under the same load, throughput and p99', () => {
    const [off, key, jwt, offMany, keyMany, jwtMany] = withAuthRatios([
      scenario('u-off', 4000, 10),
      scenario('u-key', 3800, 11),
      scenario('u-jwt', 3000, 20),
      scenario('u-off-many', 8000, 500),
      scenario('u-key-many', 2000, 400),
      scenario('u-jwt-many', 8000, 1000),
    ]);
    expect(off).not.toHaveProperty('ratioToAuthOff');
    expect(offMany).not.toHaveProperty('ratioToAuthOff');
    expect([key!.ratioToAuthOff, key!.p99OverAuthOff]).toEqual([0.95, 1.1]);
    expect([jwt!.ratioToAuthOff, jwt!.p99OverAuthOff]).toEqual([0.75, 2]);
    expect([keyMany!.ratioToAuthOff, keyMany!.p99OverAuthOff]).toEqual([0.25, 0.8]);
    expect([jwtMany!.ratioToAuthOff, jwtMany!.p99OverAuthOff]).toEqual([1, 2]);
  });

  it('leaves other scenarios alone, and gives no ratio when the auth-off scenario under that load was not measured', () => {
    const [service, key, abKey] = withAuthRatios([scenario('b-CS', 4000, 10), scenario('u-key', 3800, 11), scenario('ab-key', 1000, 9)]);
    expect(service).not.toHaveProperty('ratioToAuthOff');
    expect(key).not.toHaveProperty('ratioToAuthOff');
    expect(abKey).not.toHaveProperty('ratioToAuthOff');
  });

  it('is a step of its own, selected with --only=auth', () => {
    expect([...parseOptions(['--only=auth'], {}).steps]).toEqual(['auth']);
    expect(parseOptions([], {}).steps.has('auth')).toBe(true);
  });
});
