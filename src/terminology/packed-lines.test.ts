import { describe, expect, it } from 'vitest';
import { LINES_PER_BLOCK, PackedLines } from './packed-lines.js';

describe('PackedLines', () => {
  const lines = Array.from({ length: LINES_PER_BLOCK * 3 + 7 }, (_, i) => `C\tsct:${i}\tfinding\tConcept ${i} – Sjögren ${'x'.repeat(i % 50)}`);

  it('gives back every line, in any order, before and after sealing', () => {
    const packed = new PackedLines();
    for (const line of lines) packed.add(line);
    expect(packed.line(lines.length - 1)).toBe(lines[lines.length - 1]);
    packed.seal();
    expect(packed.length).toBe(lines.length);
    for (const i of [0, lines.length - 1, LINES_PER_BLOCK, LINES_PER_BLOCK - 1, 5, 2 * LINES_PER_BLOCK + 3, 1]) {
      expect(packed.line(i)).toBe(lines[i]);
    }
    expect([...packed]).toEqual(lines);
  });

  it('keeps an empty line and refuses a line it does not have', () => {
    const packed = new PackedLines();
    packed.add('');
    packed.add('b');
    packed.seal();
    expect([...packed]).toEqual(['', 'b']);
    for (const i of [-1, 2, 0.5]) expect(() => packed.line(i)).toThrow(RangeError);
  });
});
