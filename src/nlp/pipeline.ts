/**
 * The rule-based `NlpPipeline`: what the worker and `chartmine extract` call. Its version changes whenever its
 * output for the same text can change: the rules' code version, the lexicon files and the terminology index.
 */
import { createHash } from 'node:crypto';
import type { TerminologyIndex } from '../terminology/types.js';
import { analyzeWithRules } from './analyze-rules.js';
import type { ContextSettings } from './context/context.js';
import { readRuleLexicons, type RuleLexicons } from './lexicons/rule-lexicons.js';
import type { NerModel } from './ner/types.js';
import { UNTIMED_STAGE, type AnalyzeOptions, type ComponentInfo, type NlpPipeline, type NlpResult } from './types.js';

/** Bump on every code change that can change output for the same text and lexicons. */
export const RULES_VERSION = '1.2.0';

/** Pipeline name, as it appears in the Provenance `Device`. */
export const RULE_PIPELINE_NAME = 'chartmine-rules';

/** What the rule pipeline needs. `lexicons` defaults to the package's `models/lexicons`. */
export interface RulePipelineDeps {
  readonly terminology: TerminologyIndex;
  readonly lexicons?: RuleLexicons;
  readonly contextSettings?: ContextSettings;
  /** The NER model, when one runs: its spans are merged with the dictionary's (see `analyzeWithRules`). */
  readonly ner?: NerModel;
  /** Keep findings only the model found that the terminology cannot code (`NER_WRITE_UNCODED`). Default false. */
  readonly nerWriteUncoded?: boolean;
}

/**
 * Creates the rule-based pipeline. Reads and compiles the lexicon files once (when not given).
 * @param deps - the terminology index, and optionally compiled lexicons and ConText settings.
 * @returns the pipeline.
 */
export function createRulePipeline(deps: RulePipelineDeps): NlpPipeline {
  const lexicons = deps.lexicons ?? readRuleLexicons();
  const { terminology } = deps;
  const { ner } = deps;
  const components: ComponentInfo[] = [
    { name: 'chartmine-rule-lexicons', version: RULES_VERSION, sha256: lexicons.sha256 },
    { name: terminology.name, version: terminology.version, sha256: terminology.sha256 },
    ...(ner ? [ner.info] : []),
  ];
  const version = rulePipelineVersion(lexicons, terminology, deps.contextSettings, ner?.info, deps.nerWriteUncoded ?? false);
  const analysisDeps = {
    terminology,
    lexicons,
    modelOnlyUncoded: deps.nerWriteUncoded ?? false,
    ...(deps.contextSettings ? { contextSettings: deps.contextSettings } : {}),
  };
  return {
    info: { name: ner ? `${RULE_PIPELINE_NAME}+ner` : RULE_PIPELINE_NAME, version, components },
    async analyze(text: string, options?: AnalyzeOptions): Promise<NlpResult> {
      const stage = options?.stage ?? UNTIMED_STAGE;
      const modelSpans = ner ? await stage('model', () => ner.recognize(text)) : undefined;
      return analyzeWithRules(text, analysisDeps, modelSpans, stage);
    },
  };
}

/**
 * The pipeline version: `RULES_VERSION` plus a short hash of the lexicons, the terminology index and any
 * non-default settings. Only `[0-9a-z.-]`, so it can go into job ids and FHIR tags.
 * @param lexicons - the compiled lexicons.
 * @param terminology - the index.
 * @param settings - ConText settings, when not the defaults.
 * @param model - the NER model, when one runs.
 * @param modelOnlyUncoded - whether uncoded model-only findings are kept (NER_WRITE_UNCODED).
 * @returns e.g. `1.0.0-3fa2c1d09b7e`.
 */
export function rulePipelineVersion(
  lexicons: RuleLexicons,
  terminology: TerminologyIndex,
  settings?: ContextSettings,
  model?: ComponentInfo,
  modelOnlyUncoded = false
): string {
  const hash = createHash('sha256')
    .update(RULES_VERSION)
    .update('\0')
    .update(lexicons.sha256)
    .update('\0')
    .update(`${terminology.name}@${terminology.version}#${terminology.sha256}`)
    .update('\0')
    .update(settings ? JSON.stringify(settings) : '')
    .update('\0')
    .update(model ? `${model.name}@${model.version}#${model.sha256 ?? ''}${modelOnlyUncoded ? '+uncoded' : ''}` : '')
    .digest('hex');
  return `${RULES_VERSION}-${hash.slice(0, 12)}`;
}
