/**
 * The rule-based `NlpPipeline`: what the worker and `chartmine extract` call. Its version changes whenever its
 * output for the same text can change: the rules' code version, the lexicon files and the terminology index.
 */
import { createHash } from 'node:crypto';
import type { TerminologyIndex, TermMatch } from '../terminology/types.js';
import { analyzeWithRules } from './analyze-rules.js';
import type { ContextSettings } from './context/context.js';
import { readRuleLexicons, type RuleLexicons } from './lexicons/rule-lexicons.js';
import type { NerModel, NerSpan } from './ner/types.js';
import { splitSentenceSpans } from './ner/words.js';
import { UNTIMED_STAGE, type AnalyzeOptions, type ComponentInfo, type NlpPipeline, type NlpResult, type Span } from './types.js';

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
  /**
   * Run the model only on the sentences whose spans can change the output (see {@link modelSentences}). Default
   * true; false runs it on every sentence (the identity check compares both). Never skips with `nerWriteUncoded`
   * or a model that batches windows.
   */
  readonly nerSkipSentences?: boolean;
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
  const skip = (deps.nerSkipSentences ?? true) && !(deps.nerWriteUncoded ?? false) && (ner?.batchSize ?? 1) === 1;
  return {
    info: { name: ner ? `${RULE_PIPELINE_NAME}+ner` : RULE_PIPELINE_NAME, version, components },
    async analyze(text: string, options?: AnalyzeOptions): Promise<NlpResult> {
      const stage = options?.stage ?? UNTIMED_STAGE;
      const matches = stage('dictionary', () => terminology.match(text));
      let modelSpans: NerSpan[] | undefined;
      if (ner) {
        const recognizeOptions = options?.modelPart ? { part: options.modelPart } : undefined;
        modelSpans = await stage('model', () => {
          const all = splitSentenceSpans(text);
          const kept = skip ? modelSentences(text, all, matches, terminology) : all;
          options?.onModelSentences?.(kept.length, all.length);
          return ner.recognize(text, kept, recognizeOptions);
        });
      }
      return analyzeWithRules(text, analysisDeps, modelSpans, stage, matches);
    },
  };
}

/**
 * The model's sentences whose spans can change the pipeline's output, when uncoded model-only findings are not
 * written. Why a skipped sentence's spans cannot (read with `analyze-rules.ts` `collectCandidates`/`hybridMatches`
 * and `ner/merge.ts`):
 * - model spans are read in one place: `collectCandidates` drops those over headers and measurements (per span) and
 *   hands the rest to `mergeModelAndDictionary`; abbreviations, ConText, assertions, allergies, sigs and
 *   consolidation see only the merged list, never a model span that the merge did not emit;
 * - the merge relates a model span to a dictionary match only when they overlap (agreement, type override, and the
 *   veto of an ambiguous match, which tests `covered` = the whole text, not the sentences that ran); a model span
 *   lies inside one model sentence, so every span overlapping a match is in a kept sentence (every sentence that
 *   overlaps a match is kept), and spans do not overlap each other;
 * - a model span overlapping no match becomes a `model-only` span without a concept; `hybridMatches` keeps it only
 *   when `lookupTerm(surface)` codes it (or with `nerWriteUncoded`, where nothing is skipped). Its surface is a
 *   whole-word part of its sentence, so when `hasTermWithin` says no part of the sentence is a term, it is dropped;
 * - the model's spans for one sentence depend on that sentence alone when it runs one window per forward pass
 *   (`batchSize` 1; words are encoded per word, windows planned per sentence, Viterbi decoded per sentence), so the
 *   kept sentences get the same spans as in a run over all of them.
 * @param text - the note text.
 * @param sentences - the model's sentences (`splitSentenceSpans`).
 * @param matches - the dictionary's matches over the whole text (sorted by start).
 * @param terminology - the index, for `hasTermWithin`.
 * @returns the sentences to run the model on, in order.
 */
export function modelSentences(
  text: string,
  sentences: readonly Span[],
  matches: readonly TermMatch[],
  terminology: TerminologyIndex
): Span[] {
  const kept: Span[] = [];
  let m = 0;
  for (const s of sentences) {
    while (m < matches.length && matches[m].end <= s.start) m++;
    // matches are sorted by start and do not overlap, so their ends are sorted too: the first match ending after the
    // sentence starts is the only one that can overlap it first
    const overlapsMatch = m < matches.length && matches[m].start < s.end;
    if (overlapsMatch || terminology.hasTermWithin(text, s.start, s.end)) kept.push(s);
  }
  return kept;
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
