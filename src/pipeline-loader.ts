/**
 * Loads the NLP pipeline once per process, before any worker exists: the terminology index, the rule lexicons and
 * (where configured) the NER model. The only place that knows how the pipeline is assembled.
 */
import { join } from 'node:path';
import type { Config } from './config/config.js';
import { createRulePipeline } from './nlp/pipeline.js';
import type { NlpPipeline } from './nlp/types.js';
import { loadTerminologyIndex } from './terminology/load-index.js';

/**
 * Loads the pipeline.
 * @param config - the configuration (models directory).
 * @returns the pipeline.
 */
export async function loadPipeline(config: Pick<Config, 'modelsDir'>): Promise<NlpPipeline> {
  const terminology = await loadTerminologyIndex(join(config.modelsDir, 'terminology'));
  return createRulePipeline({ terminology });
}
