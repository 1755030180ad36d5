/**
 * Loads the NLP pipeline once per process, before any worker exists: the terminology index, the rule lexicons,
 * (where configured) the external terminology server and the NER model. The only place that knows how the
 * pipeline is assembled.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config/config.js';
import { assertPipelinePaths } from './config/preflight.js';
import { DEFAULT_NER_MODEL, loadNerModel, parseNerLabelMap } from './nlp/ner/load-ner-model.js';
import type { NerModel } from './nlp/ner/types.js';
import { createRulePipeline } from './nlp/pipeline.js';
import type { NlpPipeline } from './nlp/types.js';
import { withTerminologyServer } from './terminology/enrich-with-server.js';
import { loadTerminologyIndex } from './terminology/load-index.js';
import { FhirTerminologyClient } from './terminology/remote/fhir-terminology-client.js';
import { createMemoryTerminologyCache, type RedisLike, type TerminologyCache } from './terminology/remote/terminology-cache.js';
import { createRedisTerminologyCache } from './terminology/remote/terminology-cache.js';
import { createTerminologyService } from './terminology/terminology-service.js';

/** Optional edges the pipeline may use. */
export interface PipelineEdges {
  /** Redis for the terminology server's answer cache; without it answers are cached in memory. */
  readonly redis?: RedisLike;
  /** Key prefix for that cache (QUEUE_PREFIX). */
  readonly prefix?: string;
}

/** What a caller other than the server may change (the bench's identity check). */
export interface PipelineOptions {
  /** A model already loaded (two pipelines can share one); default: the configured model, loaded here. */
  readonly ner?: NerModel;
  /** Sentence skipping (default on; see `createRulePipeline`). */
  readonly nerSkipSentences?: boolean;
}

/**
 * Loads the pipeline.
 * @param config - the configuration (models and terminology).
 * @param edges - optional Redis for caching terminology server answers.
 * @param options - a loaded model to use, sentence skipping.
 * @returns the pipeline.
 */
export async function loadPipeline(
  config: Pick<Config, 'modelsDir' | 'terminology' | 'ner'>,
  edges: PipelineEdges = {},
  options: PipelineOptions = {}
): Promise<NlpPipeline> {
  assertPipelinePaths(config); // a wrong folder is a configuration error (exit 78), not a model failure
  const index = await loadTerminologyIndex(config.terminology.dir);
  const ner = options.ner ?? (await loadConfiguredNerModel(config));
  const rules = createRulePipeline({
    terminology: index,
    ...(ner ? { ner, nerWriteUncoded: config.ner.writeUncoded } : {}),
    ...(options.nerSkipSentences !== undefined ? { nerSkipSentences: options.nerSkipSentences } : {}),
  });
  const server = config.terminology.server;
  if (!server) return rules;
  const cache: TerminologyCache = edges.redis
    ? createRedisTerminologyCache(edges.redis, `${edges.prefix ?? 'chartmine'}:terminology:`)
    : createMemoryTerminologyCache();
  const client = new FhirTerminologyClient({ baseUrl: server.baseUrl, timeoutMs: server.timeoutMs, cache, cacheTtlSeconds: server.cacheTtlSeconds });
  const service = createTerminologyService({ index, server: client, ...(server.icd10cmConceptMap ? { icd10cmConceptMap: server.icd10cmConceptMap } : {}) });
  return withTerminologyServer(rules, service, server.baseUrl);
}

/**
 * The NER model the configuration asks for: `NER_MODEL=none` none; unset, the shipped model when it is in
 * MODELS_DIR (a checkout without it runs on rules and dictionary alone); any other value must load, or start-up
 * fails.
 * @param config - the configuration.
 * @returns the loaded model, or undefined.
 */
export async function loadConfiguredNerModel(config: Pick<Config, 'modelsDir' | 'ner'>): Promise<NerModel | undefined> {
  const { ner } = config;
  if (ner.model === 'none') return undefined;
  if (ner.model === undefined && !existsSync(join(config.modelsDir, DEFAULT_NER_MODEL, 'config.json'))) return undefined;
  return loadNerModel({
    modelsDir: config.modelsDir,
    model: ner.model ?? DEFAULT_NER_MODEL,
    allowRemoteModels: ner.allowRemoteModels,
    dtype: ner.dtype,
    threads: ner.threads,
    inferenceThreads: ner.inferenceThreads,
    batchSize: ner.batchSize,
    ...(ner.maxTokens ? { maxTokens: ner.maxTokens } : {}),
    ...(ner.labelMap ? { labelMap: parseNerLabelMap(ner.labelMap) } : {}),
  });
}
