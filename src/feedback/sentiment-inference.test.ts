/** The sentiment model's pure inference logic on hand-made ids and logits (no runtime). */
import { describe, expect, test } from 'vitest';
import {
  createSentimentModel,
  decodeSentiment,
  planSentimentWindows,
  poolWindowLogits,
  softmaxSlice,
  toSentimentHeads,
} from './sentiment-inference.js';
import type { SentimentEncoder, SentimentHeads } from './sentiment-inference.js';

const HEADS: SentimentHeads = { polarity: [0, 3], severity: [3, 8], width: 9 };

describe('planSentimentWindows', () => {
  test('one window up to the limit, then near-equal consecutive slices covering every id once', () => {
    expect(planSentimentWindows([1, 2, 3], 4)).toEqual([[1, 2, 3]]);
    expect(planSentimentWindows([], 4)).toEqual([[]]);
    const ids = Array.from({ length: 10 }, (_, i) => i);
    const w = planSentimentWindows(ids, 4);
    expect(w.map((x) => x.length)).toEqual([3, 3, 4]);
    expect(w.flat()).toEqual(ids);
  });
});

describe('poolWindowLogits and decodeSentiment', () => {
  test('means the windows of each text, in text order', () => {
    const logits = [1, 2, 3, 4, 10, 20];
    const pooled = poolWindowLogits(logits, 2, [0, 1, 0], 3);
    expect(Array.from(pooled[0])).toEqual([5.5, 11]);
    expect(Array.from(pooled[1])).toEqual([3, 4]);
    expect(Array.from(pooled[2])).toEqual([0, 0]);
  });

  test('softmax of the polarity head picks the label; severity is the argmax of its head', () => {
    const r = decodeSentiment([0, 0, Math.log(8), 0, 0, 0, 5, 0, 99], HEADS);
    expect(r.label).toBe('positive');
    expect(r.scores.positive).toBeCloseTo(0.8, 6);
    expect(r.scores.negative + r.scores.neutral + r.scores.positive).toBeCloseTo(1, 9);
    expect(r.severity).toBe('severe');
    expect(decodeSentiment([2, 1, 0, 0, 0, 0, 0, 0, 0], { polarity: [0, 3], width: 9 })).not.toHaveProperty('severity');
    expect(softmaxSlice([1000, 1000], 0, 2)).toEqual([0.5, 0.5]);
    // A calibrated neutral bias moves a close call to neutral.
    const close = [1, 0.5, 0.9, 0, 0, 0, 0, 0, 0];
    expect(decodeSentiment(close, HEADS).label).toBe('negative');
    expect(decodeSentiment(close, { ...HEADS, polarityBias: [0, 1, 0] }).label).toBe('neutral');
  });

  test('toSentimentHeads accepts the layout the recipe writes and refuses a broken one', () => {
    const layout = { polarity: [0, 3], severity: [3, 8], effectiveness: [8, 13], rating: [13, 14] };
    expect(toSentimentHeads(layout, 14)).toEqual({ polarity: [0, 3], severity: [3, 8], width: 14 });
    expect(toSentimentHeads({ polarity: [0, 2] }, 14)).toBeUndefined();
    expect(toSentimentHeads({ polarity: [12, 15] }, 14)).toBeUndefined();
    expect(toSentimentHeads(undefined, 14)).toBeUndefined();
    expect(toSentimentHeads(layout, 14, [0, 1.5, 0])?.polarityBias).toEqual([0, 1.5, 0]);
    expect(toSentimentHeads(layout, 14, [0, 'x', 0])).not.toHaveProperty('polarityBias');
  });
});

/** A fake runtime: each word is one id (its length); the "model" says positive for windows summing above 20. */
function fakeEncoder(calls: Array<{ batch: number; seqLen: number; ids: bigint[] }>): SentimentEncoder {
  return {
    encodeWord: (word) => [word.length + 10],
    clsId: 2,
    sepId: 3,
    padId: 0,
    async run(inputIds, mask, batch, seqLen) {
      calls.push({ batch, seqLen, ids: Array.from(inputIds) });
      const out = new Float32Array(batch * 9);
      for (let r = 0; r < batch; r++) {
        let sum = 0;
        for (let c = 0; c < seqLen; c++) if (mask[r * seqLen + c] === 1n) sum += Number(inputIds[r * seqLen + c]);
        out[r * 9 + (sum - 5 > 20 ? 2 : 0)] = 5;
      }
      return out;
    },
    close: async () => undefined,
  };
}

describe('createSentimentModel', () => {
  test('windows, pads and batches texts, and gives results back in input order', async () => {
    const calls: Array<{ batch: number; seqLen: number; ids: bigint[] }> = [];
    const options = { heads: HEADS, maxBody: 2, batchSize: 2 };
    const model = createSentimentModel(fakeEncoder(calls), { name: 'fake', version: '1' }, options);
    // "a b c" → 3 ids → 2 windows; "x" → 1 window (sum 11 → negative); "aaaa" → 14 (negative).
    const results = await model.classify(['a b c', 'x', 'aaaaaaaaaaaaa']);
    expect(results.map((r) => r.label)).toEqual(['negative', 'negative', 'positive']);
    expect(calls.reduce((n, c) => n + c.batch, 0)).toBe(4);
    expect(calls.every((c) => c.batch <= 2)).toBe(true);
    const first = calls[0];
    expect(first.ids.slice(0, first.seqLen)[0]).toBe(2n);
    expect(first.ids).toContain(3n);
    expect(model.name).toBe('fake');
  });
});
