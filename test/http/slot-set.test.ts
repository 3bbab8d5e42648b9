import { describe, expect, it } from 'vitest';
import { SlotSet } from '../../src/http/slot-set.js';

const visited = <T extends object>(set: SlotSet<T>): T[] => {
  const items: T[] = [];
  set.forEach((item) => items.push(item));
  return items;
};

describe('SlotSet', () => {
  it('visits what was added and not removed, and counts it', () => {
    const set = new SlotSet<{ name: string }>();
    const [a, b, c] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    const slots = [a, b, c].map((item) => set.add(item));
    set.remove(slots[1]!, b);
    expect(visited(set)).toEqual([a, c]);
    expect(set.size).toBe(2);
  });

  it('reuses a freed slot instead of growing, so its array stays as large as the most held at once', () => {
    const set = new SlotSet<{ n: number }>();
    const held = Array.from({ length: 20 }, (_, n) => ({ n }));
    const slots = held.map((item) => set.add(item));
    for (let round = 0; round < 1000; round++) {
      const at = round % 20;
      set.remove(slots[at]!, held[at]!);
      held[at] = { n: 20 + round };
      slots[at] = set.add(held[at]);
    }
    expect(Math.max(...slots)).toBe(19);
    expect(
      visited(set)
        .map(({ n }) => n)
        .sort((x, y) => x - y),
    ).toEqual(held.map(({ n }) => n).sort((x, y) => x - y));
  });

  it('ignores a second remove of an item whose slot now holds another', () => {
    const set = new SlotSet<{ name: string }>();
    const first = { name: 'first' };
    const slot = set.add(first);
    set.remove(slot, first);
    const second = { name: 'second' };
    expect(set.add(second)).toBe(slot);
    set.remove(slot, first);
    expect(visited(set)).toEqual([second]);
    expect(set.size).toBe(1);
  });

  it('lets a visit remove the item it is visiting', () => {
    const set = new SlotSet<{ late: boolean }>();
    const items = [{ late: true }, { late: false }, { late: true }];
    const slots = items.map((item) => set.add(item));
    set.forEach((item) => {
      if (item.late) set.remove(slots[items.indexOf(item)]!, item);
    });
    expect(visited(set)).toEqual([{ late: false }]);
  });
});
