import { describe, expect, it } from 'vitest';
import { auditFailure } from '../../bench/lib/audit.js';
import { AUTH_COST, SIGNING_COST, withReferenceRatios } from '../../bench/lib/comparisons.js';
import type { ScenarioResult } from '../../bench/lib/model.js';
import { parseOptions } from '../../bench/lib/options.js';
import { auditLines } from '../../bench/lib/report.js';

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
    const [off, key, jwt, offMany, keyMany, jwtMany] = withReferenceRatios([
      scenario('u-off', 4000, 10),
      scenario('u-key', 3800, 11),
      scenario('u-jwt', 3000, 20),
      scenario('u-off-many', 8000, 500),
      scenario('u-key-many', 2000, 400),
      scenario('u-jwt-many', 8000, 1000),
    ]);
    expect(off).not.toHaveProperty('ratioToReference');
    expect(offMany).not.toHaveProperty('ratioToReference');
    expect([key!.reference, key!.ratioToReference, key!.p99OverReference]).toEqual(['u-off', 0.95, 1.1]);
    expect([jwt!.reference, jwt!.ratioToReference, jwt!.p99OverReference]).toEqual(['u-off', 0.75, 2]);
    expect([keyMany!.reference, keyMany!.ratioToReference, keyMany!.p99OverReference]).toEqual(['u-off-many', 0.25, 0.8]);
    expect([jwtMany!.reference, jwtMany!.ratioToReference, jwtMany!.p99OverReference]).toEqual(['u-off-many', 1, 2]);
  });

  it('leaves other scenarios alone, and gives no ratio when the auth-off scenario under that load was not measured', () => {
    const [service, key, abKey] = withReferenceRatios([
      scenario('b-CS', 4000, 10),
      scenario('u-key', 3800, 11),
      scenario('ab-key', 1000, 9),
    ]);
    expect(service).not.toHaveProperty('ratioToReference');
    expect(key).not.toHaveProperty('ratioToReference');
    expect(abKey).not.toHaveProperty('ratioToReference');
  });

  it('is a step of its own, selected with --only=auth', () => {
    expect([...parseOptions(['--only=auth'], {}).steps]).toEqual(['auth']);
    expect(parseOptions([], {}).steps.has('auth')).toBe(true);
    expect(AUTH_COST.step).toBe('auth');
  });
});

describe("signing's cost in the bench", () => {
  it('reads the signed scenario over the unsigned one under the same load, never over another comparison', () => {
    const results = withReferenceRatios([
      scenario('u-off', 1000, 10),
      scenario('s-unsigned', 4000, 10),
      scenario('s-signed', 3900, 12),
      scenario('s-unsigned-many', 5000, 400),
      scenario('s-signed-many', 4500, 500),
      scenario('ab-unsigned', 2000, 8),
      scenario('ab-signed', 2100, 6),
    ]);
    const byId = new Map(results.map((each) => [each.id, each]));
    expect(byId.get('s-unsigned')).not.toHaveProperty('ratioToReference');
    expect(byId.get('s-signed')).toMatchObject({ reference: 's-unsigned', ratioToReference: 0.975, p99OverReference: 1.2 });
    expect(byId.get('s-signed-many')).toMatchObject({ reference: 's-unsigned-many', ratioToReference: 0.9, p99OverReference: 1.25 });
    expect(byId.get('ab-signed')).toMatchObject({ reference: 'ab-unsigned', ratioToReference: 1.05, p99OverReference: 0.75 });
  });

  it('starts the unsigned service with SIGNING_DISABLED=1 and the signed one with signing on, both loads with the same credentials', async () => {
    const settings = await SIGNING_COST.settings();
    expect(SIGNING_COST.variants[0]).toBe('unsigned');
    expect(settings.env.unsigned).toEqual({ SIGNING_DISABLED: '1' });
    expect(settings.env.signed).toEqual({ SIGNING_DISABLED: '0' });
    expect(settings.headers.signed).toEqual(settings.headers.unsigned);
    expect(settings.headers.signed).toHaveProperty('authorization');
  });

  it('is a step of its own, selected with --only=signing, and part of a whole run', () => {
    expect([...parseOptions(['--only=signing'], {}).steps]).toEqual(['signing']);
    expect(parseOptions([], {}).steps.has('signing')).toBe(true);
  });

  it('reports what the audit found of each topic: signed writes, or an unsigned log', () => {
    const lines = auditLines({
      audits: [
        { topic: 'bench-signing-signed', status: 'clean', exitCode: 0, signedWrites: 120, tail: '' },
        { topic: 'bench-signing-unsigned', status: 'clean', exitCode: 0, signedWrites: 0, tail: '' },
      ],
    });
    expect(lines.split('\n')).toEqual([
      'audit bench-signing-signed: clean (exit 0), 120 signed writes',
      'audit bench-signing-unsigned: clean (exit 0), unsigned',
    ]);
  });

  it('fails the run on a topic whose audit found it signed otherwise than its service was started', () => {
    const audit = (signedWrites: number | undefined, status: 'clean' | 'violations' = 'clean') => ({
      topic: 't',
      status,
      exitCode: status === 'clean' ? 0 : 1,
      ...(signedWrites === undefined ? {} : { signedWrites }),
      tail: 'report',
    });
    expect(auditFailure(audit(120), true)).toBeUndefined();
    expect(auditFailure(audit(0), false)).toBeUndefined();
    expect(auditFailure(audit(0), true)).toContain('started to sign, the audit found 0 signed writes');
    expect(auditFailure(audit(undefined), true)).toContain('started to sign, the audit found no word on signing');
    expect(auditFailure(audit(3), false)).toContain('started unsigned, the audit found 3 signed writes');
    expect(auditFailure(audit(120, 'violations'), true)).toBe('audit of t: violations\nreport');
  });
});
