import { describe, expect, test } from 'vitest';
import { splitSentenceSpans, splitWords } from './words.js';

const slices = (text: string, spans: ReadonlyArray<{ start: number; end: number }>): string[] =>
  spans.map((s) => text.slice(s.start, s.end));

describe('splitWords', () => {
  test('splits letters/digits runs and single punctuation with exact offsets', () => {
    const text = 'BP 120/80, Na+ 135; naïve café x²';
    expect(slices(text, splitWords(text))).toEqual(['BP', '120', '/', '80', ',', 'Na', '+', '135', ';', 'naïve', 'café', 'x²']);
  });

  test('offsets are absolute when a range is given', () => {
    const text = 'aa bb cc';
    expect(splitWords(text, 3, 8)).toEqual([
      { start: 3, end: 5 },
      { start: 6, end: 8 },
    ]);
  });

  test('astral characters keep UTF-16 offsets', () => {
    const text = 'α 𝛼x y';
    expect(slices(text, splitWords(text))).toEqual(['α', '𝛼x', 'y']);
  });
});

describe('splitSentenceSpans', () => {
  test('splits lines and sentence ends, trimming space', () => {
    const text = 'HPI: Chest pain.  She denies fever.\n\n  Meds: aspirin 81 mg. 2. lisinopril ';
    expect(slices(text, splitSentenceSpans(text))).toEqual([
      'HPI: Chest pain.',
      'She denies fever.',
      'Meds: aspirin 81 mg.',
      '2. lisinopril',
    ]);
  });

  test('does not split inside decimals or lower-case continuations', () => {
    const text = 'Temp 98.6 today. e.g. mild';
    expect(slices(text, splitSentenceSpans(text))).toEqual(['Temp 98.6 today. e.g. mild']);
  });
});
