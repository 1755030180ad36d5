/**
 * The NER model port: what the pipeline, `chartmine extract` and the evaluation suites call. Spans are exact
 * half-open UTF-16 offsets into the text given, like every span in `nlp/types.ts`.
 */
import type { ComponentInfo, NerPartRunner, Span } from '../types.js';

export type { NerPart, NerPartRunner } from '../types.js';

/** Entity types the model emits. Foreign models are mapped onto these with a label map. */
export type NerLabel = 'PROBLEM' | 'DRUG' | 'TEST';

/** All NER labels, in the order the shipped model's BIO tags use them. */
export const NER_LABELS: readonly NerLabel[] = ['PROBLEM', 'DRUG', 'TEST'];

/** One entity the model found. `score` is the mean probability of the span's word labels (0..1). */
export interface NerSpan extends Span {
  readonly label: NerLabel;
  readonly score: number;
}

/** Options of one `recognize` call; none changes the output. */
export interface RecognizeOptions {
  /** Wraps each part of the call (default: runs it). */
  readonly part?: NerPartRunner;
}

/** A loaded NER model. One per worker process; `recognize` may be called concurrently. */
export interface NerModel {
  /** Model name, version and sha256 of the ONNX file that runs (for the Provenance `Device`). */
  readonly info: ComponentInfo;
  /** Sub-tokens per window including [CLS] and [SEP]; longer sentences are windowed with overlap. */
  readonly maxTokens: number;
  /**
   * Windows per forward pass; absent means 1. At 1, a sentence's spans depend on that sentence alone (an int8
   * model's dynamic quantisation makes batched sentences depend on each other), so sentences may be skipped.
   */
  readonly batchSize?: number;
  /**
   * Finds entities in one text.
   * @param text - the note text (or any part of it).
   * @param sentences - sentence spans to run on (offsets into `text`); when absent, lines and sentence ends split it.
   * @param options - a part runner for timing.
   * @returns spans sorted by start, non-overlapping.
   */
  recognize(text: string, sentences?: readonly Span[], options?: RecognizeOptions): Promise<NerSpan[]>;
  /**
   * Finds entities in several texts at once, batching their sentences together (faster for many short texts).
   * @param texts - the texts.
   * @param sentences - per text, its sentence spans; a missing entry is split as in `recognize`.
   * @returns one span list per text.
   */
  recognizeMany(texts: readonly string[], sentences?: ReadonlyArray<readonly Span[] | undefined>): Promise<NerSpan[][]>;
  /** Releases the ONNX session. */
  close(): Promise<void>;
}

/** How a model's own entity type names map to ours; `null` drops a type. Keys are matched case-insensitively. */
export type NerLabelMap = Readonly<Record<string, NerLabel | null>>;

/** The default label map: our own labels, plus BC5CDR/NCBI and i2b2-2010 style names. */
export const DEFAULT_NER_LABEL_MAP: NerLabelMap = {
  PROBLEM: 'PROBLEM',
  DRUG: 'DRUG',
  TEST: 'TEST',
  DISEASE: 'PROBLEM',
  CHEMICAL: 'DRUG',
};
