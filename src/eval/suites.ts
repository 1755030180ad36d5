/** The registry of evaluation suites for `chartmine eval`. Each suite lives in its own file under `src/eval/`. */
import { DEFAULT_MODELS_DIR, loadConfig } from '../config/config.js';
import { loadPipeline } from '../pipeline-loader.js';
import { DEFAULT_NER_MODEL, loadNerModel } from '../nlp/ner/load-ner-model.js';
import { loadTerminologyIndex } from '../terminology/load-index.js';
import { bc5cdrSuite } from './bc5cdr.js';
import { formatTopTerms, nerHybridExtractor, topTerms, type HybridCounts } from './ner-hybrid.js';
import { mtsamplesNerSuite } from './mtsamples-ner.js';
import { ncbiSuite } from './ncbi.js';
import { negexSuite } from './negex.js';
import { notesSuite } from './notes.js';
import { sentimentSuite } from './sentiment.js';
import type { EvalSuite } from './suite.js';
import { createSyntheaSuite, extractedFromMentions } from './synthea.js';

/**
 * `synthea` runs the whole pipeline (as the worker does, with the NER model when shipped); `--no-model` without the
 * model; `synthea --matcher` the dictionary matcher alone;
 * `synthea --ner` the dictionary matcher merged with the NER model (`--ner-model NAME` picks another local model).
 */
const syntheaPipelineSuite: EvalSuite = {
  name: 'synthea',
  summary: 'Synthea notes vs the coded resources of the same encounter (--no-model, --matcher, --ner)',
  async run(options) {
    if (options.args.includes('--ner')) return runSyntheaWithNer(options);
    const matcherOnly = options.args.includes('--matcher');
    const suite = createSyntheaSuite(
      matcherOnly
        ? {}
        : {
            createExtractor: async () => {
              const noModel = options.args.includes('--no-model');
              const pipeline = await loadPipeline(loadConfig({ MODELS_DIR: DEFAULT_MODELS_DIR, ...(noModel ? { NER_MODEL: 'none' } : {}) }));
              return async (text: string) => extractedFromMentions((await pipeline.analyze(text)).mentions);
            },
          }
    );
    return suite.run(options);
  },
};

async function runSyntheaWithNer(options: Parameters<EvalSuite['run']>[0]): ReturnType<EvalSuite['run']> {
  const i = options.args.indexOf('--ner-model');
  const modelName = i >= 0 ? options.args[i + 1] : DEFAULT_NER_MODEL;
  const model = await loadNerModel({ modelsDir: DEFAULT_MODELS_DIR, model: modelName });
  let counts: HybridCounts | undefined;
  try {
    const report = await createSyntheaSuite({
      createExtractor: async () => {
        const hybrid = nerHybridExtractor(await loadTerminologyIndex(), model);
        counts = hybrid.counts;
        return hybrid.extract;
      },
    }).run(options);
    const { suppressedTerms = {}, addedTerms = {}, ...totals } = counts ?? {};
    const header =
      `matcher + NER model ${model.info.name} ${model.info.version}: ${JSON.stringify(totals)}\n` +
      `  most often suppressed: ${formatTopTerms(topTerms(suppressedTerms, 10))}\n` +
      `  most often added: ${formatTopTerms(topTerms(addedTerms, 10))}`;
    return { ...report, extra: { ...report.extra, ner: model.info, hybrid: counts }, text: `${header}\n${report.text}` };
  } finally {
    await model.close();
  }
}

export const EVAL_SUITES: readonly EvalSuite[] = [
  negexSuite,
  syntheaPipelineSuite,
  notesSuite,
  bc5cdrSuite,
  ncbiSuite,
  mtsamplesNerSuite,
  sentimentSuite,
];
