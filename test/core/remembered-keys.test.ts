import { describe, expect, it } from 'vitest';
import { RememberedKeys } from '../../src/core/remembered-keys.js';

const MINUTE = 60_000;
const at = (minutes: number) => Date.UTC(2026, 0, 1) + minutes * MINUTE;
const issued = (number: number, minutes: number) => ({ class: 'CS', number, issuedAtMs: at(minutes) });

describe('RememberedKeys (which idempotency keys a writer still answers)', () => {
  it('recalls a key while its certificate is younger than the window, measured at the time asked', () => {
    const keys = new RememberedKeys({ windowMs: 60 * MINUTE, maxKeys: 100 });
    keys.remember('a', issued(1, 0));
    expect(keys.recall('a', at(59))).toEqual(issued(1, 0));
    expect(keys.recall('a', at(60))).toBeUndefined();
    expect(keys.recall('b', at(1))).toBeUndefined();
    // A writer whose clock is behind the certificate's still recalls it.
    expect(keys.recall('a', at(-5))).toEqual(issued(1, 0));
  });

  it('forgets the oldest keys beyond maxKeys, in log order', () => {
    const keys = new RememberedKeys({ windowMs: 60 * MINUTE, maxKeys: 3 });
    for (const [index, key] of ['a', 'b', 'c', 'd', 'e'].entries()) keys.remember(key, issued(index + 1, 0));
    expect(keys.size).toBe(3);
    expect(['a', 'b', 'c', 'd', 'e'].map((key) => keys.recall(key, at(1))?.number)).toEqual([undefined, undefined, 3, 4, 5]);
  });

  it("frees keys older than the window by the log's own clock (the newest certificate), not the reader's", () => {
    const keys = new RememberedKeys({ windowMs: 60 * MINUTE, maxKeys: 100 });
    keys.remember('a', issued(1, 0));
    keys.remember('b', issued(2, 30));
    expect(keys.size).toBe(2);
    keys.remember('c', issued(3, 61));
    expect(keys.size).toBe(2);
    expect(keys.recall('b', at(61))?.number).toBe(2);
  });

  it('moves a key issued again (after it was forgotten) to the newest end, so it is the last to go', () => {
    const keys = new RememberedKeys({ windowMs: 60 * MINUTE, maxKeys: 2 });
    keys.remember('a', issued(1, 0));
    keys.remember('b', issued(2, 1));
    keys.remember('a', issued(3, 2));
    keys.remember('c', issued(4, 3));
    expect([keys.recall('a', at(3))?.number, keys.recall('b', at(3)), keys.recall('c', at(3))?.number]).toEqual([3, undefined, 4]);
  });
});
