/** The shipped pipeline (terminology index + rules), loaded once per test file. */
import { DEFAULT_MODELS_DIR, loadConfig } from '../../src/config/config.js';
import type { NlpPipeline } from '../../src/nlp/types.js';
import { loadPipeline } from '../../src/pipeline-loader.js';

let pipeline: Promise<NlpPipeline> | undefined;

/** The real pipeline, as the worker loads it. */
export function realPipeline(): Promise<NlpPipeline> {
  pipeline ??= loadPipeline(loadConfig({ MODELS_DIR: DEFAULT_MODELS_DIR }));
  return pipeline;
}
