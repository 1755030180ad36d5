/**
 * The sentiment model's inference logic, independent of the runtime: text → words → WordPiece ids → near-equal
 * windows of at most `maxBody` ids (each wrapped in [CLS] … [SEP]) → length-sorted batches → per-window logits →
 * mean per text → polarity softmax and severity argmax. It mirrors the training recipe
 * (`models/sentiment/sentdata.py: windows`, `train.py: review_logits`). `sentiment-model.ts` plugs transformers.js
 * in as the `SentimentEncoder`; tests plug in a fake. Pure.
 */
import { splitWords } from '../nlp/ner/words.js';
import { SENTIMENT_LABELS, SEVERITY_LABELS } from './sentiment.js';
import type { SentimentClassifier, SentimentResult } from './sentiment.js';

/** Where each head lies in the model's output vector: `[start, end)` per head (config.json `chartmine_heads`). */
export interface SentimentHeads {
  readonly polarity: readonly [number, number];
  readonly severity?: readonly [number, number];
  readonly width: number;
  /** Added to the polarity logits before the softmax (config.json `chartmine_polarity_bias`, calibrated by the
   * recipe on held-out reviews); absent = none. */
  readonly polarityBias?: readonly [number, number, number];
}

/** What the inference logic needs from a runtime. */
export interface SentimentEncoder {
  /** Sub-token ids of one word, without special tokens. */
  encodeWord(word: string): readonly number[];
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  /**
   * Runs the model on a padded batch.
   * @returns logits, flat `[batch, heads.width]`.
   */
  run(inputIds: BigInt64Array, attentionMask: BigInt64Array, batch: number, seqLen: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Inference settings. */
export interface SentimentInferenceOptions {
  readonly heads: SentimentHeads;
  /** Sub-tokens per window between [CLS] and [SEP] (the model's positions minus 2). */
  readonly maxBody: number;
  /** Windows per forward pass. */
  readonly batchSize: number;
}

/** A classifier with a way to release the ONNX session. */
export interface SentimentModel extends SentimentClassifier {
  close(): Promise<void>;
}

/**
 * Splits a token sequence into `ceil(n / maxBody)` near-equal consecutive slices (one empty slice for no tokens),
 * as the recipe does.
 * @param ids - the text's sub-token ids.
 * @param maxBody - the most ids per slice.
 * @returns the slices in order.
 */
export function planSentimentWindows(ids: readonly number[], maxBody: number): number[][] {
  const n = ids.length;
  const k = Math.max(1, Math.ceil(n / maxBody));
  const out: number[][] = [];
  for (let i = 0; i < k; i++) out.push(ids.slice(Math.floor((n * i) / k), Math.floor((n * (i + 1)) / k)));
  return out;
}

/**
 * Means the window logits of each text.
 * @param logits - flat `[windows, width]`.
 * @param width - outputs per window.
 * @param owners - the text index of each window.
 * @param texts - the number of texts.
 * @returns one mean logit vector per text (zeros for a text without windows).
 */
export function poolWindowLogits(
  logits: ArrayLike<number>,
  width: number,
  owners: readonly number[],
  texts: number
): Float64Array[] {
  const sums = Array.from({ length: texts }, () => new Float64Array(width));
  const counts = new Array<number>(texts).fill(0);
  owners.forEach((t, w) => {
    for (let j = 0; j < width; j++) sums[t][j] += logits[w * width + j];
    counts[t]++;
  });
  return sums.map((s, t) => (counts[t] > 0 ? s.map((v) => v / counts[t]) : s));
}

/**
 * Softmax of `values[start, end)`.
 * @param values - logits.
 * @param start - first index.
 * @param end - index after the last.
 * @returns probabilities.
 */
export function softmaxSlice(values: ArrayLike<number>, start: number, end: number): number[] {
  let max = -Infinity;
  for (let i = start; i < end; i++) max = Math.max(max, values[i]);
  const exps: number[] = [];
  for (let i = start; i < end; i++) exps.push(Math.exp(values[i] - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * Turns one text's pooled logits into a result: polarity label = argmax of the polarity softmax; severity = argmax of
 * the severity head when the model has one.
 * @param logits - the pooled logits of one text.
 * @param heads - the output layout.
 * @returns the result.
 */
export function decodeSentiment(logits: ArrayLike<number>, heads: SentimentHeads): SentimentResult {
  const bias = heads.polarityBias ?? [0, 0, 0];
  const p = softmaxSlice(
    bias.map((b, i) => logits[heads.polarity[0] + i] + b),
    0,
    3
  );
  const best = p.indexOf(Math.max(...p));
  const scores = { negative: p[0], neutral: p[1], positive: p[2] };
  const result: SentimentResult = { label: SENTIMENT_LABELS[best], scores };
  if (!heads.severity) return result;
  const s = softmaxSlice(logits, heads.severity[0], heads.severity[1]);
  return { ...result, severity: SEVERITY_LABELS[s.indexOf(Math.max(...s))] };
}

/**
 * Reads and checks the head layout a model's config.json declares.
 * @param value - `chartmine_heads` from config.json.
 * @param width - the number of outputs (`id2label` entries).
 * @param bias - `chartmine_polarity_bias` from config.json (three finite numbers, or ignored).
 * @returns the layout, or undefined when it is not usable (no 3-wide polarity head inside the outputs).
 */
export function toSentimentHeads(value: unknown, width: number, bias?: unknown): SentimentHeads | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const range = (v: unknown, size: number): readonly [number, number] | undefined =>
    Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && v[1] === v[0] + size && v[0] >= 0 && v[1] <= width
      ? [v[0] as number, v[1] as number]
      : undefined;
  const polarity = range(record.polarity, SENTIMENT_LABELS.length);
  if (!polarity) return undefined;
  const severity = range(record.severity, SEVERITY_LABELS.length);
  const polarityBias =
    Array.isArray(bias) && bias.length === 3 && bias.every((b) => typeof b === 'number' && Number.isFinite(b))
      ? (bias as [number, number, number])
      : undefined;
  return { polarity, ...(severity ? { severity } : {}), width, ...(polarityBias ? { polarityBias } : {}) };
}

interface WindowJob {
  readonly text: number;
  readonly ids: readonly number[];
}

/**
 * Builds a classifier from an encoder.
 * @param encoder - the runtime (tokenizer + ONNX session).
 * @param info - name and version for Provenance.
 * @param options - head layout, window length, batch size.
 * @returns the classifier.
 */
export function createSentimentModel(
  encoder: SentimentEncoder,
  info: { readonly name: string; readonly version: string },
  options: SentimentInferenceOptions
): SentimentModel {
  const { heads, maxBody, batchSize } = options;
  const wordCache = new Map<string, readonly number[]>();
  const encodeText = (text: string): number[] => {
    const ids: number[] = [];
    for (const w of splitWords(text)) {
      const word = text.slice(w.start, w.end);
      let hit = wordCache.get(word);
      if (!hit) {
        hit = encoder.encodeWord(word);
        if (wordCache.size > 200_000) wordCache.clear();
        wordCache.set(word, hit);
      }
      ids.push(...hit);
    }
    return ids;
  };
  const runBatch = async (jobs: readonly WindowJob[]): Promise<Float32Array> => {
    const seqLen = Math.max(...jobs.map((j) => j.ids.length)) + 2;
    const inputIds = new BigInt64Array(jobs.length * seqLen).fill(BigInt(encoder.padId));
    const mask = new BigInt64Array(jobs.length * seqLen);
    jobs.forEach((job, r) => {
      const row = [encoder.clsId, ...job.ids, encoder.sepId];
      row.forEach((id, c) => {
        inputIds[r * seqLen + c] = BigInt(id);
        mask[r * seqLen + c] = 1n;
      });
    });
    return encoder.run(inputIds, mask, jobs.length, seqLen);
  };
  return {
    name: info.name,
    version: info.version,
    async classify(texts) {
      const jobs: WindowJob[] = texts.flatMap((t, i) =>
        planSentimentWindows(encodeText(t), maxBody).map((ids) => ({ text: i, ids }))
      );
      // Length-sorted batches waste less padding; logits go back to each window's place.
      const order = jobs.map((_, i) => i).sort((a, b) => jobs[a].ids.length - jobs[b].ids.length);
      const logits = new Float32Array(jobs.length * heads.width);
      for (let b = 0; b < order.length; b += batchSize) {
        const slice = order.slice(b, b + batchSize);
        const out = await runBatch(slice.map((i) => jobs[i]));
        slice.forEach((w, r) => logits.set(out.subarray(r * heads.width, (r + 1) * heads.width), w * heads.width));
      }
      const pooled = poolWindowLogits(
        logits,
        heads.width,
        jobs.map((j) => j.text),
        texts.length
      );
      return pooled.map((l) => decodeSentiment(l, heads));
    },
    close: () => encoder.close(),
  };
}
