import { describe, expect, test } from 'vitest';
import { planWindows } from './windows.js';

describe('planWindows', () => {
  test('one window when the sentence fits', () => {
    expect(planWindows([1, 2, 3], 6)).toEqual([{ from: 0, to: 3, keepFrom: 0, keepTo: 3 }]);
  });

  test('windows fit, overlap, and give every word to exactly one window', () => {
    const counts = Array.from({ length: 300 }, (_, i) => 1 + (i % 3));
    const wins = planWindows(counts, 126);
    expect(wins.length).toBeGreaterThan(4);
    for (const w of wins) {
      expect(counts.slice(w.from, w.to).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(126);
    }
    for (let i = 1; i < wins.length; i++) {
      expect(wins[i].from).toBeLessThan(wins[i - 1].to); // overlap
      expect(wins[i].keepFrom).toBe(wins[i - 1].keepTo); // partition
      expect(wins[i].keepFrom).toBeGreaterThan(wins[i].from); // no word is kept at a window's left edge...
    }
    expect(wins[0].keepFrom).toBe(0);
    expect(wins[wins.length - 1].keepTo).toBe(300);
  });

  test('a word longer than the window gets a window of its own', () => {
    const wins = planWindows([2, 50, 2], 10);
    expect(wins.map((w) => [w.from, w.to])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(wins.map((w) => [w.keepFrom, w.keepTo])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });
});
