import { describe, expect, it } from 'vitest';
import { SpanTable } from './span-table.js';

/** A table of `words` (each with the value `=word`) over their joined text. */
function tableOf(words: readonly string[]): SpanTable {
  const base = words.map((w) => `${w}\t=${w}`).join('\n');
  const table = new SpanTable(base);
  let at = 0;
  for (const w of words) {
    table.add(at, at + w.length, at + w.length + 1, at + 2 * w.length + 2);
    at += 2 * w.length + 3;
  }
  return table;
}

describe('SpanTable', () => {
  it('finds every key of a table that grew far past its first capacity, and nothing else', () => {
    const words = Array.from({ length: 20_000 }, (_, i) => `w${i.toString(36)}`);
    const table = tableOf(words);
    table.seal();
    expect(table.size).toBe(words.length);
    for (const [i, w] of words.entries()) {
      expect(table.indexOf(w)).toBe(i);
      expect(table.get(w)).toBe(`=${w}`);
    }
    for (const absent of ['', 'w', 'x0', 'w0 ', ' w0', 'W0', `w${(20_000).toString(36)}`]) expect(table.has(absent)).toBe(false);
    expect([...table.keys()]).toEqual(words);
  });

  it('keeps the first entry of a key added twice, and its number', () => {
    const base = 'pain\tfirst\npain\tsecond';
    const table = new SpanTable(base);
    expect(table.add(0, 4, 5, 10)).toBe(0);
    expect(table.add(11, 15, 16, 22)).toBe(0);
    expect(table.size).toBe(1);
    expect([...table.entries()]).toEqual([['pain', 'first']]);
  });

  it('tells apart keys whose hashes collide in the slot array (one letter apart, prefixes, the empty key)', () => {
    const words = ['', 'a', 'b', 'ab', 'ba', 'abc', 'acb', 'aa', 'aaa', 'aaaa'];
    const table = tableOf(words);
    for (const [i, w] of words.entries()) expect(table.indexOf(w)).toBe(i);
  });

  it('refuses additions once sealed', () => {
    const table = tableOf(['pain']);
    table.seal();
    expect(() => table.add(0, 2)).toThrow('sealed');
    expect(table.get('pain')).toBe('=pain');
  });
});
