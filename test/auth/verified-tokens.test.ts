import { describe, expect, it } from 'vitest';
import { VerifiedTokens } from '../../src/auth/verified-tokens.js';
import type { Principal } from '../../src/core/principal.js';

const principal = (id: string): Principal => ({ id, name: id, roles: new Set() });

describe('verified tokens remembered', () => {
  it('gives a token back until it expires or the longest it may be remembered, whichever comes first', () => {
    const tokens = new VerifiedTokens(10, 60_000);
    tokens.remember('short', principal('a'), 1000, 5000);
    tokens.remember('long', principal('b'), 1000, 1_000_000);
    expect(tokens.get('short', 4999)?.id).toBe('a');
    expect(tokens.get('short', 5000)).toBeUndefined();
    expect(tokens.get('long', 60_999)?.id).toBe('b');
    expect(tokens.get('long', 61_000)).toBeUndefined();
    expect(tokens.get('never-seen', 1000)).toBeUndefined();
  });

  it('forgets the oldest beyond its bound', () => {
    const tokens = new VerifiedTokens(2, 60_000);
    for (const token of ['one', 'two', 'three']) tokens.remember(token, principal(token), 0, 10_000);
    expect(['one', 'two', 'three'].map((token) => tokens.get(token, 1)?.id)).toEqual([undefined, 'two', 'three']);
  });
});
