/**
 * `eval sentiment` on the synthetic Druglib-format fixture (test/fixtures/druglib): the TSV reader (quoted line
 * breaks, TABs and quotes), gold labels, the figures for a stand-in model and for the lexicon, the devel split,
 * and the missing-data message.
 */
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { SentimentClassifier, SentimentResult } from '../feedback/sentiment.js';
import { parseDruglibReviews, parseTsv, toPolarity } from './druglib.js';
import { createSentimentSuite, readDruglibSplit, scoreSentiment } from './sentiment.js';
import type { SentimentFigures } from './sentiment.js';

const DATA = path.join(process.cwd(), 'test', 'fixtures', 'druglib');

/** A stand-in model that reads the gold answer from a word in the text, to make the expected figures exact. */
function keywordModel(closed: string[]): SentimentClassifier & { close: () => Promise<void> } {
  const result = (label: SentimentResult['label']): SentimentResult => ({
    label,
    scores: {
      negative: label === 'negative' ? 0.8 : 0.1,
      neutral: label === 'neutral' ? 0.8 : 0.1,
      positive: label === 'positive' ? 0.8 : 0.1,
    },
    severity: 'mild',
  });
  return {
    name: 'keyword',
    version: 'test',
    classify: async (texts) =>
      texts.map((t) =>
        result(/great|improved|relief/i.test(t) ? 'positive' : /worst|stopped/i.test(t) ? 'negative' : 'neutral')
      ),
    close: async () => {
      closed.push('closed');
    },
  };
}

describe('Druglib reader', () => {
  test('quoted fields keep their line breaks, TABs and doubled quotes', () => {
    expect(parseTsv('a\tb\n"x\ny"\t"say ""hi""\tthere"\r\n')).toEqual([
      ['a', 'b'],
      ['x\ny', 'say "hi"\tthere'],
    ]);
  });

  test('labels: polarity from the rating, severity from the side-effects column, text = the three fields', () => {
    const reviews = readDruglibSplit(DATA, 'test');
    expect(reviews.map((r) => r.polarity)).toEqual([
      'positive',
      'negative',
      'neutral',
      'positive',
      'negative',
      'positive',
    ]);
    expect(reviews.map((r) => r.severity)).toEqual(['none', 'severe', 'mild', 'mild', 'extremely-severe', 'none']);
    expect(reviews[1].text).toBe(
      'It did nothing.\nTerrible rash and awful nausea.\nI had to stop.\nWorst drug, I hate it.'
    );
    expect(reviews[4].text).toContain('"panic"\tattacks.');
    expect(reviews[5].text).toBe('Pain relief within an hour.\nGood.');
    expect([7, 6, 5, 4].map(toPolarity)).toEqual(['positive', 'neutral', 'neutral', 'negative']);
    expect(() => parseDruglibReviews('reviewID\trating\n1\t5\n')).toThrow(/lacks the 'urlDrugName' column/);
  });

  test('devel is the recipe held-out fifth of the training file (reviewID % 5 == 0)', () => {
    expect(readDruglibSplit(DATA, 'devel').map((r) => r.id)).toEqual([20, 25]);
    expect(() => readDruglibSplit(DATA, 'train')).toThrow(/unknown split/);
  });
});

describe('eval sentiment', () => {
  test('scores the model and the lexicon beside it, and closes the model', async () => {
    const closed: string[] = [];
    const suite = createSentimentSuite(async () => keywordModel(closed));
    const report = await suite.run({ dataDir: DATA, args: [] });
    const [model, lexicon] = (report.extra?.figures ?? []) as SentimentFigures[];
    expect(model.classifier).toBe('keyword');
    expect(lexicon.classifier).toMatch(/lexicon/);
    expect(model.items).toBe(6);
    // Binary items: 5 (review 12, neutral, left out); the keyword model gets all 5 right.
    expect(model.binaryItems).toBe(5);
    expect(model.binaryAccuracy).toBe(1);
    expect(model.binaryMacroF1).toBe(1);
    // Three classes: 12 ("Some relief") → positive, wrong; the rest right.
    expect(model.threeClassMacroF1).toBeLessThan(1);
    expect(model.severityMacroF1).toBeDefined();
    expect(closed).toEqual(['closed']);
    expect(report.text).toMatch(/sentiment test: 6 reviews \(5 positive or negative\)/);
    expect(report.text).toContain('bin-macroF1');
  });

  test('--model lexicon runs the baseline alone; --limit takes the first N reviews', async () => {
    const suite = createSentimentSuite(async () => {
      throw new Error('no model should be loaded');
    });
    const report = await suite.run({ dataDir: DATA, args: ['--model', 'lexicon', '--limit', '2'] });
    const figures = report.extra?.figures as SentimentFigures[];
    expect(figures).toHaveLength(1);
    expect(figures[0].items).toBe(2);
    expect(figures[0].binaryAccuracy).toBe(1);
  });

  test('names the missing data file', async () => {
    await expect(createSentimentSuite().run({ dataDir: '/nonexistent/chartmine-data', args: [] })).rejects.toThrow(
      /missing Druglib reviews .*\/nonexistent\/chartmine-data\/druglib-reviews\/drugLibTest_raw\.tsv/
    );
  });

  test('scoreSentiment: macro-F1 over the classes, severity only when predicted', () => {
    const reviews = readDruglibSplit(DATA, 'test').slice(0, 2);
    const neg: SentimentResult = { label: 'negative', scores: { negative: 0.9, neutral: 0.05, positive: 0.05 } };
    const f = scoreSentiment(reviews, [neg, neg], { classifier: 'x', version: '1', seconds: 0.5 });
    expect(f.binaryAccuracy).toBe(0.5);
    expect(f.binaryMacroF1).toBeCloseTo((2 / 3 + 0) / 2, 9);
    expect(f.severityMacroF1).toBeUndefined();
    expect(f.itemsPerSecond).toBe(4);
  });
});
