import { beforeAll, describe, expect, test } from 'vitest';
import type { NerModel, NerSpan } from '../nlp/ner/types.js';
import { loadTerminologyIndex } from '../terminology/load-index.js';
import type { TerminologyIndex } from '../terminology/types.js';
import { nerHybridExtractor, topTerms } from './ner-hybrid.js';

/** A model that reads only the words it was scripted with, as a trained model reads context. */
function scriptedModel(words: Record<string, NerSpan['label']>): NerModel {
  const recognize = async (text: string): Promise<NerSpan[]> =>
    Object.entries(words).flatMap(([w, label]) => {
      const start = text.indexOf(w);
      return start < 0 ? [] : [{ start, end: start + w.length, label, score: 0.95 }];
    });
  return {
    info: { name: 'scripted', version: '0' },
    maxTokens: 128,
    recognize,
    recognizeMany: (texts) => Promise.all(texts.map((t) => recognize(t))),
    close: async () => {},
  };
}

describe('the dictionary + NER hybrid extractor', () => {
  let index: TerminologyIndex;
  beforeAll(async () => {
    index = await loadTerminologyIndex();
  });

  test('counts and lists what the model removes and adds over the dictionary', async () => {
    const text = 'She has a cold today. Takes aspirin for hypertension. Started on zorbitrex.';
    const { extract, counts } = nerHybridExtractor(index, scriptedModel({ aspirin: 'DRUG', hypertension: 'PROBLEM', zorbitrex: 'DRUG' }));
    const out = await extract(text);
    expect(counts.dictionaryMatches).toBe(3);
    expect(counts.agreed).toBe(2);
    expect(counts.suppressedTerms).toEqual({ cold: 1 });
    expect(counts.addedTerms).toEqual({ zorbitrex: 1 });
    expect(counts.modelOnlyCoded).toBe(0);
    expect(out.map((e) => text.slice(e.start, e.end))).toEqual(['aspirin', 'hypertension']);
  });

  test('topTerms orders by count, then alphabetically', () => {
    expect(topTerms({ b: 2, a: 2, c: 5, d: 1 }, 3)).toEqual([
      ['c', 5],
      ['a', 2],
      ['b', 2],
    ]);
  });
});
