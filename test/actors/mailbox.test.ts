import { describe, expect, it } from 'vitest';
import { Mailbox } from '../../src/actors/mailbox.js';

const upTo = (count: number) => (_: number, taken: number) => taken < count;

describe('Mailbox', () => {
  it('takes items oldest first, while the predicate says so', () => {
    const mailbox = new Mailbox<number>();
    for (let index = 0; index < 10; index++) mailbox.push(index);
    expect(mailbox.takeWhile(upTo(4))).toEqual([0, 1, 2, 3]);
    expect(mailbox.size).toBe(6);
    mailbox.push(10);
    expect([...mailbox.view()]).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(mailbox.takeWhile((item) => item < 7)).toEqual([4, 5, 6]);
    expect(mailbox.takeWhile(upTo(100))).toEqual([7, 8, 9, 10]);
    expect(mailbox.size).toBe(0);
    expect(mailbox.takeWhile(upTo(1))).toEqual([]);
  });

  it('keeps order across many partial takes', () => {
    const mailbox = new Mailbox<number>();
    const seen: number[] = [];
    for (let index = 0; index < 20_000; index++) {
      mailbox.push(index);
      if (index % 3 === 0) seen.push(...mailbox.takeWhile(upTo(2)));
    }
    seen.push(...mailbox.takeWhile(() => true));
    expect(seen).toEqual(Array.from({ length: 20_000 }, (_, index) => index));
  });
});
