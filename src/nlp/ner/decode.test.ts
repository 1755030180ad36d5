import { describe, expect, test } from 'vitest';
import { BIO_TAGS, tagsToSpans, toTagIndex, toTagLogProbs, viterbi } from './decode.js';
import { DEFAULT_NER_LABEL_MAP } from './types.js';

const lp = (probs: Record<string, number>): Float64Array => {
  const out = new Float64Array(BIO_TAGS.length).fill(Math.log(1e-6));
  for (const [tag, p] of Object.entries(probs)) out[BIO_TAGS.indexOf(tag)] = Math.log(p);
  return out;
};

describe('toTagIndex', () => {
  test('maps foreign labels through the label map; unknown types become O', () => {
    const labels = ['O', 'B-Disease', 'I-Disease', 'B-Chemical', 'I-Chemical', 'B-Gene', 'S-Disease', 'E-Chemical'];
    expect(toTagIndex(labels, DEFAULT_NER_LABEL_MAP).map((i) => BIO_TAGS[i])).toEqual([
      'O', 'B-PROBLEM', 'I-PROBLEM', 'B-DRUG', 'I-DRUG', 'O', 'B-PROBLEM', 'I-DRUG',
    ]);
  });

  test('folds the probabilities of merged labels', () => {
    const index = toTagIndex(['O', 'B-Gene', 'B-Disease'], DEFAULT_NER_LABEL_MAP);
    const out = toTagLogProbs(new Float32Array([0, 0, 0]), 0, 3, index);
    expect(Math.exp(out[0])).toBeCloseTo(2 / 3);
    expect(Math.exp(out[BIO_TAGS.indexOf('B-PROBLEM')])).toBeCloseTo(1 / 3);
  });
});

describe('viterbi', () => {
  test('never starts an entity with I- and repairs an I- of another type', () => {
    const tags = viterbi([lp({ 'I-PROBLEM': 0.6, 'B-PROBLEM': 0.3, O: 0.1 }), lp({ 'I-DRUG': 0.5, 'I-PROBLEM': 0.4, O: 0.1 })]);
    expect(tags.map((t) => BIO_TAGS[t])).toEqual(['B-PROBLEM', 'I-PROBLEM']);
  });

  test('tagsToSpans merges B/I runs and scores them by mean probability', () => {
    const words = [
      { start: 0, end: 4 },
      { start: 5, end: 9 },
      { start: 10, end: 12 },
      { start: 13, end: 20 },
    ];
    const probs = [lp({ 'B-PROBLEM': 0.9 }), lp({ 'I-PROBLEM': 0.7 }), lp({ O: 0.99 }), lp({ 'B-DRUG': 0.8 })];
    const spans = tagsToSpans(words, viterbi(probs), probs);
    expect(spans).toEqual([
      { start: 0, end: 9, label: 'PROBLEM', score: expect.closeTo(0.8, 5) },
      { start: 13, end: 20, label: 'DRUG', score: expect.closeTo(0.8, 5) },
    ]);
  });

  test('tagsToSpans trims punctuation-only words from the edges, but keeps a bracket closed inside the span', () => {
    const text = 'anxiety ( panic ) , diabetes ( type 2 )';
    const words = [...text.matchAll(/\S+/g)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
    const tags = ['B-PROBLEM', 'I-PROBLEM', 'O', 'O', 'O', 'B-PROBLEM', 'I-PROBLEM', 'I-PROBLEM', 'I-PROBLEM', 'I-PROBLEM'];
    const probs = tags.map((t) => lp({ [t]: 0.9 }));
    const spans = tagsToSpans(words, viterbi(probs), probs, text);
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['anxiety', 'diabetes ( type 2 )']);
    const lone = tagsToSpans(words.slice(1, 2), [BIO_TAGS.indexOf('B-PROBLEM')], [lp({ 'B-PROBLEM': 0.9 })], text);
    expect(lone).toEqual([]);
  });
});
