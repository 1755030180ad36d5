/**
 * Loads a token-classification model with transformers.js, fully offline by default. The only file in `src/nlp/ner`
 * that imports the ML runtime (`ner-threads.ts` loads transformers.js's onnxruntime-node inside its threads). Load
 * once per process (model load is ~0.1 s; a session per job would waste memory); all jobs share its threads.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AutoConfig, AutoModelForTokenClassification, AutoTokenizer, Tensor } from '@huggingface/transformers';
import { ModelError } from '../../errors.js';
import { locateModel, sha256File } from '../local-model.js';
import type { ComponentInfo } from '../types.js';
import { createNerModel } from './ner-model.js';
import type { TokenEncoder } from './ner-model.js';
import { startNerThreads, type NerThreads } from './ner-threads.js';
import type { NerLabelMap, NerModel } from './types.js';
import { DEFAULT_NER_LABEL_MAP } from './types.js';

/** The model shipped in `models/`. */
export const DEFAULT_NER_MODEL = 'chartmine-ner';
/**
 * Windows per forward pass. 1, because the shipped int8 model quantises activations dynamically with one scale per
 * tensor: in a batch, a sentence's logits depend on its batch neighbours and their padding, so its spans would
 * change with the rest of the note. One window per pass makes each sentence's spans a function of that sentence
 * alone, which lets the pipeline skip sentences whose spans cannot change its output (see `pipeline.ts`), and it is
 * not slower on CPU (1 ORT thread, MTSamples: 23.7 ms CPU per note at batch 1 vs 27.2 at batch 16).
 */
export const DEFAULT_NER_BATCH_SIZE = 1;
/** ORT intra-op threads. */
export const DEFAULT_NER_THREADS = 1;
/** BERT position tables stop at 512. */
const MAX_TOKENS_CAP = 512;

/** Settings, one per configuration variable (the caller reads the environment, never this module). */
export interface NerModelOptions {
  /** `MODELS_DIR`: folder of local models. */
  readonly modelsDir: string;
  /** `NER_MODEL`: a folder under `modelsDir`, an absolute folder, or (remote allowed) a hub id. */
  readonly model?: string;
  /** `ALLOW_REMOTE_MODELS`: let transformers.js download a model it cannot find locally. Default false. */
  readonly allowRemoteModels?: boolean;
  /** `NER_DTYPE`: `q8` (int8 file `onnx/model_quantized.onnx`, default) or `fp32` (`onnx/model.onnx`). */
  readonly dtype?: 'q8' | 'fp32';
  /** `NER_THREADS`: ONNX Runtime intra-op threads per session (default 1: at one window per pass a second thread mostly spins; measured in the README). */
  readonly threads?: number;
  /** `NER_BATCH_SIZE`: windows per forward pass (default 1; above 1, int8 spans depend on batch neighbours). */
  readonly batchSize?: number;
  /** `NER_MAX_TOKENS`: window length in sub-tokens; default and cap: the model's own maximum (and 512). */
  readonly maxTokens?: number;
  /** `NER_LABEL_MAP`: the model's entity types → ours (see `parseNerLabelMap`). */
  readonly labelMap?: NerLabelMap;
  /**
   * `NER_INFERENCE_THREADS`: run a local model's forward pass in this many worker threads, one session each
   * (`ner-threads.ts`); 0 or unset: in-process. Hub models always run in-process.
   */
  readonly inferenceThreads?: number;
}

/**
 * Parses `Disease=PROBLEM,Chemical=DRUG,Gene=` (an empty value drops the type).
 * @param spec - the setting's value.
 * @returns the label map, merged over the default one.
 * @throws ModelError when a target is not PROBLEM, DRUG or TEST.
 */
export function parseNerLabelMap(spec: string): NerLabelMap {
  const out: Record<string, NerLabelMap[string]> = { ...DEFAULT_NER_LABEL_MAP };
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [from, to = ''] = part.split('=').map((s) => s.trim());
    const target = to.toUpperCase();
    if (target !== '' && target !== 'PROBLEM' && target !== 'DRUG' && target !== 'TEST') {
      throw new ModelError(`NER_LABEL_MAP: '${from}' must map to PROBLEM, DRUG, TEST or nothing`);
    }
    out[from.toUpperCase()] = target === '' ? null : (target as 'PROBLEM' | 'DRUG' | 'TEST');
  }
  return out;
}

interface LoadedConfig {
  readonly id2label?: Record<string, string>;
  readonly max_position_embeddings?: number;
  readonly chartmine_version?: string;
  readonly _name_or_path?: string;
}

/**
 * Loads the tokenizer and ONNX session and returns a ready `NerModel`.
 * @param options - see `NerModelOptions`.
 * @returns the model.
 * @throws ModelError when the model is missing or cannot be loaded (the message names the model, never text).
 */
export async function loadNerModel(options: NerModelOptions): Promise<NerModel> {
  const { modelId, localDir, isLocal, allowRemote, id } = locateModel({
    modelsDir: options.modelsDir,
    modelId: options.model ?? DEFAULT_NER_MODEL,
    allowRemoteModels: options.allowRemoteModels,
    kind: 'NER',
    setting: 'NER_MODEL',
  });
  const dtype = options.dtype ?? 'q8';
  const onnxFile = path.join(localDir, 'onnx', dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx');
  const pooled = isLocal && (options.inferenceThreads ?? 0) > 0;
  const threads = options.threads ?? DEFAULT_NER_THREADS;
  let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  let model: Awaited<ReturnType<typeof AutoModelForTokenClassification.from_pretrained>> | undefined;
  let pool: NerThreads | undefined;
  let loadedConfig: unknown;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: !allowRemote });
    if (pooled) {
      loadedConfig = await AutoConfig.from_pretrained(id, { local_files_only: !allowRemote });
    } else {
      model = await AutoModelForTokenClassification.from_pretrained(id, {
        local_files_only: !allowRemote,
        device: 'cpu',
        dtype,
        session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3 },
      });
      loadedConfig = model.config;
    }
  } catch (err: unknown) {
    throw new ModelError(`NER model '${modelId}' (${dtype}) could not be loaded`, { cause: err });
  }
  const config = loadedConfig as LoadedConfig;
  const id2label = config.id2label ?? {};
  const labels = Object.keys(id2label)
    .map(Number)
    .sort((a, b) => a - b)
    .map((i) => id2label[String(i)]);
  if (labels.length === 0) throw new ModelError(`NER model '${modelId}' has no id2label in config.json`);
  const tokenizerConfig = (tokenizer.config ?? {}) as { cls_token?: unknown };
  const clsToken = typeof tokenizerConfig.cls_token === 'string' ? tokenizerConfig.cls_token : '[CLS]';
  const [clsId, sepId, padId] = tokenizer.convert_tokens_to_ids([
    clsToken,
    tokenizer.sep_token ?? '[SEP]',
    tokenizer.pad_token ?? '[PAD]',
  ]);
  if ([clsId, sepId, padId].some((x) => typeof x !== 'number')) {
    throw new ModelError(`NER model '${modelId}' tokenizer lacks [CLS]/[SEP]/[PAD]: a BERT-family WordPiece model is needed`);
  }
  const modelMax = Math.min(
    Number(tokenizer.model_max_length) || MAX_TOKENS_CAP,
    config.max_position_embeddings ?? MAX_TOKENS_CAP,
    MAX_TOKENS_CAP
  );
  const maxTokens = Math.max(8, Math.min(options.maxTokens ?? modelMax, modelMax));
  // Started last, so a model refused above leaves no threads behind.
  if (pooled) pool = await startNerThreads({ onnxFile, threads: options.inferenceThreads ?? 1, intraOpThreads: threads, modelName: modelId });
  const info: ComponentInfo = {
    name: isLocal ? path.basename(localDir) : modelId,
    version: `${config.chartmine_version ?? 'unversioned'}+${dtype}`,
    ...(isLocal && existsSync(onnxFile) ? { sha256: await sha256File(onnxFile) } : {}),
  };

  const encoder: TokenEncoder = {
    encodeWord: (word) => tokenizer.encode(word, { add_special_tokens: false }),
    clsId,
    sepId,
    padId,
    labels,
    async run(inputIds, attentionMask, batch, seqLen) {
      if (pool) return pool.run(inputIds, attentionMask, batch, seqLen);
      if (!model) throw new ModelError(`NER model '${modelId}' has no session`);
      const dims = [batch, seqLen];
      try {
        const out = (await model({
          input_ids: new Tensor('int64', inputIds, dims),
          attention_mask: new Tensor('int64', attentionMask, dims),
          token_type_ids: new Tensor('int64', new BigInt64Array(inputIds.length), dims),
        })) as { logits: { data: Float32Array } };
        return out.logits.data;
      } catch (err: unknown) {
        throw new ModelError(`NER model '${modelId}' failed on a batch of ${batch}x${seqLen}`, { cause: err });
      }
    },
    async close() {
      await pool?.close();
      await model?.dispose();
    },
  };
  return createNerModel(encoder, info, {
    maxTokens,
    batchSize: options.batchSize ?? DEFAULT_NER_BATCH_SIZE,
    labelMap: options.labelMap ?? DEFAULT_NER_LABEL_MAP,
  });
}

/** What the recipe's export step records in a model folder's `files.json`. */
export interface ShippedModelFiles {
  readonly name: string;
  readonly version: string;
  /** Per ONNX file (path relative to the folder): its size and sha256. */
  readonly files: Readonly<Record<string, { readonly bytes: number; readonly sha256: string }>>;
}

/**
 * Reads the version and checksums the recipe wrote into `files.json`, when present (for the model card and tests).
 * @param modelDir - the model folder.
 * @returns its `files.json`, or undefined.
 */
export function readShippedModelFiles(modelDir: string): ShippedModelFiles | undefined {
  const p = path.join(modelDir, 'files.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as ShippedModelFiles) : undefined;
}
