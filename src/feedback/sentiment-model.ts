/**
 * Loads the shipped sentiment model (`models/chartmine-sentiment`) with transformers.js, offline. The only file in
 * `src/feedback` that imports the ML runtime; the inference logic is in `sentiment-inference.ts`. Load once per
 * process.
 */
import path from 'node:path';
import { AutoModelForSequenceClassification, AutoTokenizer, Tensor } from '@huggingface/transformers';
import { ModelError } from '../errors.js';
import { locateModel } from '../nlp/local-model.js';
import { createSentimentModel, toSentimentHeads } from './sentiment-inference.js';
import type { SentimentEncoder, SentimentModel } from './sentiment-inference.js';

/** The model shipped in `models/`. */
export const DEFAULT_SENTIMENT_MODEL = 'chartmine-sentiment';
/** Windows per forward pass (16 keeps two ORT threads busy, as for NER). */
export const DEFAULT_SENTIMENT_BATCH_SIZE = 16;
const DEFAULT_SENTIMENT_THREADS = 2;

/** Settings (the caller reads the environment, never this module). */
export interface SentimentModelOptions {
  /** `MODELS_DIR`. */
  readonly modelsDir: string;
  /** A folder under `modelsDir` or an absolute folder (default `chartmine-sentiment`). */
  readonly name?: string;
  /** `int8` (`onnx/model_quantized.onnx`, default) or `fp32` (`onnx/model.onnx`). */
  readonly dtype?: 'int8' | 'fp32';
  /** ONNX Runtime intra-op threads (default 2). */
  readonly threads?: number;
  /** Windows per forward pass (default 16). */
  readonly batchSize?: number;
}

interface LoadedConfig {
  readonly id2label?: Record<string, string>;
  readonly max_position_embeddings?: number;
  readonly chartmine_version?: string;
  readonly chartmine_heads?: unknown;
  readonly chartmine_polarity_bias?: unknown;
  readonly chartmine_max_body_tokens?: number;
}

/**
 * Loads the tokenizer and ONNX session and returns a ready classifier (with `close`).
 * @param options - see `SentimentModelOptions`.
 * @returns the classifier.
 * @throws ModelError when the model is missing, cannot be loaded or has no polarity head (never with text).
 */
export async function loadSentimentModel(options: SentimentModelOptions): Promise<SentimentModel> {
  const { modelId, localDir, isLocal, id } = locateModel({
    modelsDir: options.modelsDir,
    modelId: options.name ?? DEFAULT_SENTIMENT_MODEL,
    kind: 'Sentiment',
    setting: 'SENTIMENT_MODEL',
  });
  const dtype = options.dtype ?? 'int8';
  let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  let model: Awaited<ReturnType<typeof AutoModelForSequenceClassification.from_pretrained>>;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
    model = await AutoModelForSequenceClassification.from_pretrained(id, {
      local_files_only: true,
      device: 'cpu',
      dtype: dtype === 'int8' ? 'q8' : 'fp32',
      session_options: {
        intraOpNumThreads: options.threads ?? DEFAULT_SENTIMENT_THREADS,
        interOpNumThreads: 1,
        logSeverityLevel: 3,
      },
    });
  } catch (err: unknown) {
    throw new ModelError(`Sentiment model '${modelId}' (${dtype}) could not be loaded`, { cause: err });
  }
  const config = model.config as unknown as LoadedConfig;
  const heads = toSentimentHeads(
    config.chartmine_heads,
    Object.keys(config.id2label ?? {}).length,
    config.chartmine_polarity_bias
  );
  if (!heads) {
    await model.dispose();
    throw new ModelError(`Sentiment model '${modelId}' has no usable chartmine_heads in config.json`);
  }
  const [clsId, sepId, padId] = tokenizer.convert_tokens_to_ids(['[CLS]', '[SEP]', '[PAD]']);
  const maxBody = Math.min(config.chartmine_max_body_tokens ?? 126, (config.max_position_embeddings ?? 128) - 2);
  const encoder: SentimentEncoder = {
    encodeWord: (word) => tokenizer.encode(word, { add_special_tokens: false }),
    clsId,
    sepId,
    padId,
    async run(inputIds, attentionMask, batch, seqLen) {
      const dims = [batch, seqLen];
      try {
        const out = (await model({
          input_ids: new Tensor('int64', inputIds, dims),
          attention_mask: new Tensor('int64', attentionMask, dims),
          token_type_ids: new Tensor('int64', new BigInt64Array(inputIds.length), dims),
        })) as { logits: { data: Float32Array } };
        return out.logits.data;
      } catch (err: unknown) {
        throw new ModelError(`Sentiment model '${modelId}' failed on a batch of ${batch}x${seqLen}`, { cause: err });
      }
    },
    async close() {
      await model.dispose();
    },
  };
  const name = isLocal ? path.basename(localDir) : modelId;
  return createSentimentModel(
    encoder,
    { name, version: `${config.chartmine_version ?? 'unversioned'}+${dtype}` },
    { heads, maxBody, batchSize: options.batchSize ?? DEFAULT_SENTIMENT_BATCH_SIZE }
  );
}
