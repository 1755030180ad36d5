/** The registry of evaluation suites for `chartmine eval`. Each suite lives in its own file under `src/eval/`. */
import { DEFAULT_MODELS_DIR, loadConfig } from '../config/config.js';
import { loadPipeline } from '../pipeline-loader.js';
import { bc5cdrSuite } from './bc5cdr.js';
import { ncbiSuite } from './ncbi.js';
import { negexSuite } from './negex.js';
import type { EvalSuite } from './suite.js';
import { createSyntheaSuite, extractedFromMentions } from './synthea.js';

/** `synthea` runs the whole pipeline (as the worker does); `synthea --matcher` the dictionary matcher alone. */
const syntheaPipelineSuite: EvalSuite = {
  name: 'synthea',
  summary: 'Synthea notes vs the coded resources of the same encounter (--matcher: dictionary matcher only)',
  run(options) {
    const matcherOnly = options.args.includes('--matcher');
    const suite = createSyntheaSuite(
      matcherOnly
        ? {}
        : {
            createExtractor: async () => {
              const pipeline = await loadPipeline(loadConfig({ MODELS_DIR: DEFAULT_MODELS_DIR }));
              return async (text: string) => extractedFromMentions((await pipeline.analyze(text)).mentions);
            },
          }
    );
    return suite.run(options);
  },
};

export const EVAL_SUITES: readonly EvalSuite[] = [
  negexSuite,
  syntheaPipelineSuite,
  bc5cdrSuite,
  ncbiSuite,
];
