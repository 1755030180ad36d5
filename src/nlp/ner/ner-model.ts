/**
 * The NER model's inference logic, independent of the runtime: sentences → words with exact offsets → sub-tokens
 * (cached per word) → windows → length-sorted batches → logits → per-word tags (first sub-token) → spans.
 * `load-ner-model.ts` plugs transformers.js in as the `TokenEncoder`; tests can plug in a fake.
 */
import type { ComponentInfo, Span } from '../types.js';
import { toTagIndex, toTagLogProbs, tagsToSpans, viterbi } from './decode.js';
import type { NerLabelMap, NerModel, NerPartRunner, NerSpan, RecognizeOptions } from './types.js';
import { planWindows } from './windows.js';
import { splitSentenceSpans, splitWords } from './words.js';

/** What the inference logic needs from a runtime. */
export interface TokenEncoder {
  /** Sub-token ids of one word, without special tokens; empty when the word normalises to nothing. */
  encodeWord(word: string): readonly number[];
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  /** The model's labels in id order (`id2label`). */
  readonly labels: readonly string[];
  /**
   * Runs the encoder on a padded batch. Several calls may be in flight at once; the arrays may be transferred to
   * another thread (unusable afterwards).
   * @returns logits, flat `[batch, seqLen, labels.length]`.
   */
  run(inputIds: BigInt64Array, attentionMask: BigInt64Array, batch: number, seqLen: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Inference settings. */
export interface NerInferenceOptions {
  /** Sub-tokens per window including [CLS] and [SEP]. */
  readonly maxTokens: number;
  /** Windows per forward pass. 1 keeps each sentence's spans independent of the others (see `DEFAULT_NER_BATCH_SIZE`). */
  readonly batchSize: number;
  readonly labelMap: NerLabelMap;
  /** Word → sub-token cache entries kept before the cache is cleared. */
  readonly wordCacheSize?: number;
}

const DEFAULT_WORD_CACHE_SIZE = 200_000;
/** Runs a part, nothing else. */
const RUN_PART: NerPartRunner = (_part, fn) => fn();

interface Segment {
  readonly text: number; // index into the texts of the call
  readonly words: Span[];
  readonly logProbs: Float64Array[];
}

interface WindowJob {
  readonly segment: number;
  readonly ids: number[];
  /** Per word of the window that the window is authoritative for: [word index in segment, sub-token position]. */
  readonly firsts: Array<[number, number]>;
}

/**
 * Builds a `NerModel` from a token encoder.
 * @param encoder - the runtime (tokenizer + ONNX session).
 * @param info - name, version and sha256 of the model.
 * @param options - window length, batch size, label map.
 * @returns the model.
 */
export function createNerModel(encoder: TokenEncoder, info: ComponentInfo, options: NerInferenceOptions): NerModel {
  const tagIndex = toTagIndex(encoder.labels, options.labelMap);
  const nLabels = encoder.labels.length;
  const maxBody = options.maxTokens - 2;
  const cacheSize = options.wordCacheSize ?? DEFAULT_WORD_CACHE_SIZE;
  const cache = new Map<string, readonly number[]>();

  const encodeWord = (word: string): readonly number[] => {
    let ids = cache.get(word);
    if (!ids) {
      ids = encoder.encodeWord(word);
      if (cache.size >= cacheSize) cache.clear();
      cache.set(word, ids);
    }
    return ids;
  };

  async function run(
    texts: readonly string[],
    sentencesPerText: ReadonlyArray<readonly Span[] | undefined>,
    part: NerPartRunner = RUN_PART
  ): Promise<NerSpan[][]> {
    const segments: Segment[] = [];
    const jobs: WindowJob[] = [];
    part('encode', () => texts.forEach((text, ti) => {
      for (const sentence of sentencesPerText[ti] ?? splitSentenceSpans(text)) {
        const words: Span[] = [];
        const pieces: Array<readonly number[]> = [];
        for (const w of splitWords(text, sentence.start, sentence.end)) {
          const ids = encodeWord(text.slice(w.start, w.end));
          if (ids.length === 0) continue; // nothing left after normalisation (e.g. a control character)
          words.push(w);
          pieces.push(ids.length > maxBody ? ids.slice(0, maxBody) : ids);
        }
        if (words.length === 0) continue;
        const segment = segments.length;
        segments.push({ text: ti, words, logProbs: new Array<Float64Array>(words.length) });
        for (const win of planWindows(
          pieces.map((p) => p.length),
          maxBody
        )) {
          const ids = [encoder.clsId];
          const firsts: Array<[number, number]> = [];
          for (let w = win.from; w < win.to; w++) {
            if (w >= win.keepFrom && w < win.keepTo) firsts.push([w, ids.length]);
            ids.push(...pieces[w]);
          }
          ids.push(encoder.sepId);
          jobs.push({ segment, ids, firsts });
        }
      }
    }));

    // Batches of similar length waste little on padding. All of them are handed over at once: a runtime with
    // several inference threads (`ner-threads.ts`) runs one text's batches side by side; in-process they queue.
    const order = jobs.map((_, i) => i).sort((a, b) => jobs[a].ids.length - jobs[b].ids.length);
    const batches: Array<{ readonly jobs: WindowJob[]; readonly seqLen: number }> = [];
    const runs: Array<Promise<Float32Array>> = [];
    for (let b = 0; b < order.length; b += options.batchSize) {
      const batch = order.slice(b, b + options.batchSize).map((i) => jobs[i]);
      const seqLen = batch[batch.length - 1].ids.length;
      const [inputIds, mask] = part('encode', () => {
        const ids = new BigInt64Array(batch.length * seqLen).fill(BigInt(encoder.padId));
        const m = new BigInt64Array(batch.length * seqLen);
        batch.forEach((job, r) => {
          job.ids.forEach((id, t) => {
            ids[r * seqLen + t] = BigInt(id);
            m[r * seqLen + t] = 1n;
          });
        });
        return [ids, m] as const;
      });
      batches.push({ jobs: batch, seqLen });
      runs.push(encoder.run(inputIds, mask, batch.length, seqLen));
    }
    // `forward`: the wall time spent waiting for every batch (batches in flight together are counted once)
    const logitsOf = await part('forward', () => Promise.all(runs));
    part('decode', () =>
      batches.forEach(({ jobs: batch, seqLen }, k) => {
        const logits = logitsOf[k];
        batch.forEach((job, r) => {
          const seg = segments[job.segment];
          for (const [w, pos] of job.firsts) {
            seg.logProbs[w] = toTagLogProbs(logits, (r * seqLen + pos) * nLabels, nLabels, tagIndex);
          }
        });
      })
    );

    return part('decode', () => {
      const out: NerSpan[][] = texts.map(() => []);
      for (const seg of segments) {
        out[seg.text].push(...tagsToSpans(seg.words, viterbi(seg.logProbs), seg.logProbs, texts[seg.text]));
      }
      for (const spans of out) spans.sort((a, b) => a.start - b.start);
      return out;
    });
  }

  return {
    info,
    maxTokens: options.maxTokens,
    batchSize: options.batchSize,
    async recognize(text: string, sentences?: readonly Span[], recognizeOptions?: RecognizeOptions): Promise<NerSpan[]> {
      return (await run([text], [sentences], recognizeOptions?.part))[0];
    },
    recognizeMany(texts: readonly string[], sentences?: ReadonlyArray<readonly Span[] | undefined>): Promise<NerSpan[][]> {
      return run(texts, sentences ?? []);
    },
    close: () => encoder.close(),
  };
}
