import { describe, expect, it } from 'vitest';
import { numberInFigures, numberInWords } from '../../src/paper/words.js';

describe('shares in words and figures, as a certificate prints them', () => {
  it.each([
    [1, 'One'],
    [10, 'Ten'],
    [19, 'Nineteen'],
    [21, 'Twenty-One'],
    [100, 'One Hundred'],
    [1250, 'One Thousand Two Hundred Fifty'],
    [1_000_001, 'One Million One'],
    [2_600_000, 'Two Million Six Hundred Thousand'],
    [750_000, 'Seven Hundred Fifty Thousand'],
    [
      Number.MAX_SAFE_INTEGER,
      'Nine Quadrillion Seven Trillion One Hundred Ninety-Nine Billion Two Hundred Fifty-Four Million Seven Hundred Forty Thousand Nine Hundred Ninety-One',
    ],
  ])('%i is "%s"', (n, words) => {
    expect(numberInWords(n)).toBe(words);
  });

  it('writes figures with thousands separators', () => {
    expect([1, 1250, 2_600_000, Number.MAX_SAFE_INTEGER].map(numberInFigures)).toEqual([
      '1',
      '1,250',
      '2,600,000',
      '9,007,199,254,740,991',
    ]);
  });

  it('refuses what is not a whole number of shares, saying what came', () => {
    expect(() => numberInWords(1.5)).toThrow('got 1.5');
    expect(() => numberInWords(-1)).toThrow('got -1');
  });
});
