/**
 * The shipped sentiment model (`models/chartmine-sentiment`), loaded offline through transformers.js as the worker
 * loads it: the files and checksums the recipe recorded, plainly positive and negative feedback classified as such
 * (int8 and fp32), long text windowed, and a clear error for a missing model.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_MODELS_DIR } from '../config/config.js';
import { readShippedModelFiles } from '../nlp/ner/load-ner-model.js';
import { softmaxSlice } from './sentiment-inference.js';
import type { SentimentModel } from './sentiment-inference.js';
import { DEFAULT_SENTIMENT_MODEL, loadSentimentModel } from './sentiment-model.js';

const MODEL_DIR = path.join(DEFAULT_MODELS_DIR, DEFAULT_SENTIMENT_MODEL);
/** `files.json` of this model also carries the torch model's logits for a few texts. */
interface ShippedWithParity {
  readonly parity?: ReadonlyArray<{
    readonly text: string;
    readonly windows: number;
    readonly polarity_logits: number[];
  }>;
}
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

const POSITIVE = [
  'This medication worked wonderfully. My blood pressure is finally under control and I feel great.',
  'Excellent results, no side effects at all. I would highly recommend it.',
];
const NEGATIVE = [
  'Terrible drug. It did nothing for my pain and made me dizzy and nauseous every day. I stopped taking it.',
  'Worst experience ever: severe headaches, insomnia and weight gain, and it did not help at all.',
];

describe('the shipped sentiment model', () => {
  let int8: SentimentModel;
  let fp32: SentimentModel;
  beforeAll(async () => {
    int8 = await loadSentimentModel({ modelsDir: DEFAULT_MODELS_DIR, threads: 1 });
    fp32 = await loadSentimentModel({ modelsDir: DEFAULT_MODELS_DIR, dtype: 'fp32', threads: 1 });
  });
  afterAll(async () => {
    await int8?.close();
    await fp32?.close();
  });

  test('ships every file transformers.js needs, with the checksums the recipe recorded', () => {
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'README.md']) {
      expect(existsSync(path.join(MODEL_DIR, f)), f).toBe(true);
    }
    const files = readShippedModelFiles(MODEL_DIR);
    expect(files?.name).toBe(DEFAULT_SENTIMENT_MODEL);
    for (const f of ['onnx/model.onnx', 'onnx/model_quantized.onnx']) {
      expect(files?.files[f]?.sha256, f).toBe(sha256(path.join(MODEL_DIR, f)));
    }
    expect(int8.name).toBe(DEFAULT_SENTIMENT_MODEL);
    expect(int8.version).toBe(`${files?.version}+int8`);
  });

  test('classifies plainly positive and negative feedback, int8 and fp32 alike', async () => {
    for (const model of [int8, fp32]) {
      const results = await model.classify([...POSITIVE, ...NEGATIVE]);
      expect(results.map((r) => r.label)).toEqual(['positive', 'positive', 'negative', 'negative']);
      for (const r of results) {
        expect(r.scores.negative + r.scores.neutral + r.scores.positive).toBeCloseTo(1, 5);
        expect(r.severity).toBeDefined();
      }
    }
    const [a] = await int8.classify([NEGATIVE[0]]);
    const [b] = await fp32.classify([NEGATIVE[0]]);
    expect(Math.abs(a.scores.negative - b.scores.negative)).toBeLessThan(0.1);
  });

  test('fp32 scores equal the torch model\'s on the recipe parity texts (tokens, windows, pooling)', async () => {
    const parity = (readShippedModelFiles(MODEL_DIR) as ShippedWithParity | undefined)?.parity ?? [];
    expect(parity.length).toBeGreaterThanOrEqual(3);
    expect(parity.some((p) => p.windows > 1)).toBe(true);
    const configText = readFileSync(path.join(MODEL_DIR, 'config.json'), 'utf8');
    const config = JSON.parse(configText) as { chartmine_polarity_bias?: number[] };
    const bias = config.chartmine_polarity_bias ?? [0, 0, 0];
    const results = await fp32.classify(parity.map((p) => p.text));
    parity.forEach((p, i) => {
      const expected = softmaxSlice(p.polarity_logits.map((l, k) => l + bias[k]), 0, 3);
      const got = results[i].scores;
      expect([got.negative, got.neutral, got.positive].map((x, k) => Math.abs(x - expected[k]))).toSatisfy(
        (d: number[]) => d.every((x) => x < 2e-3)
      );
    });
  });

  test('a text longer than one window is classified whole, and a batch keeps its order', async () => {
    const long = `${NEGATIVE[0]} `.repeat(20);
    const results = await int8.classify([POSITIVE[0], long, POSITIVE[1]]);
    expect(results.map((r) => r.label)).toEqual(['positive', 'negative', 'positive']);
  });

  test('a missing model is a ModelError naming the model and the setting, never a download', async () => {
    const missing = loadSentimentModel({ modelsDir: DEFAULT_MODELS_DIR, name: 'no-such-sentiment-model' });
    await expect(missing).rejects.toThrow(/Sentiment model 'no-such-sentiment-model' not found .*SENTIMENT_MODEL/);
  });
});
