import { describe, expect, it } from 'vitest';
import { CertificateError, logUnavailable } from '../../src/core/errors.js';

describe('CertificateError', () => {
  it('is an answer, not a fault: it captures no stack, and the stack limit of other errors is left as it was', () => {
    const limit = Error.stackTraceLimit;
    const refusal = new CertificateError('insufficient_shares', 'Class CS has 0 authorized shares left; 7 were requested');
    expect(refusal.stack).toBe('CertificateError: Class CS has 0 authorized shares left; 7 were requested');
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('a fault').stack?.split('\n').length).toBeGreaterThan(1);
  });

  it("keeps the fault it wraps, with that fault's own stack, as its cause", () => {
    const fault = new Error('connection reset');
    const wrapped = logUnavailable(fault, 'committing 3 CS certificates');
    expect(wrapped.code).toBe('log_unavailable');
    expect(wrapped.canRetry).toBe(true);
    expect(wrapped.cause).toBe(fault);
    expect((wrapped.cause as Error).stack).toContain('errors.test.ts');
  });
});
