import { describe, expect, test } from 'vitest';
import { createLexiconSentimentClassifier, lexiconPolarity } from './lexicon-sentiment.js';

describe('lexicon sentiment baseline', () => {
  test('polar words set the label; negation flips it', async () => {
    const classifier = createLexiconSentimentClassifier();
    const [good, bad, notGood, flat] = await classifier.classify([
      'This medicine worked great and I feel much better.',
      'Terrible nausea and dizziness, worst drug ever.',
      'It was not helpful at all.',
      'I take it in the morning with breakfast.',
    ]);
    expect(good.label).toBe('positive');
    expect(bad.label).toBe('negative');
    expect(notGood.label).toBe('negative');
    expect(flat.label).toBe('neutral');
    for (const r of [good, bad, notGood, flat]) {
      expect(r.scores.negative + r.scores.neutral + r.scores.positive).toBeCloseTo(1, 6);
    }
    expect(good.scores.positive).toBeGreaterThan(good.scores.negative);
  });

  test('"no side effects" is not negative; an empty text scores 0', () => {
    expect(lexiconPolarity('No side effects, no nausea.')).toBeGreaterThanOrEqual(0);
    expect(lexiconPolarity('')).toBe(0);
  });
});
