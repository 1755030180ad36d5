/**
 * The hybrid of dictionary matches and model spans, pure. The dictionary codes; the model reads context:
 * - both agree (overlap, same type): the dictionary span and concept, confidence 1 - (1 - d)(1 - m);
 * - the dictionary matched but the model, which read the sentence, found nothing of that type there: an
 *   ambiguous match ("cold", "MS", "lead", "PT", short abbreviations, fuzzy matches) is suppressed; an
 *   unambiguous one is kept at a lower confidence (the model misses some long, rare terms);
 * - the model and dictionary disagree on the type (e.g. "potassium 4.1": DRUG by dictionary, TEST by model), the
 *   model is confident and its span holds the whole match: the model's type wins, without the dictionary's concept;
 * - the model found something the dictionary missed (misspellings, unseen drug names): added without a concept,
 *   for terminology look-up by text or `code.text` only.
 * Dictionary matches of groups the model does not know (procedures, vaccines) pass through unchanged.
 */
import type { Concept, SemanticGroup, TermMatch } from '../../terminology/types.js';
import type { MentionSource, Span } from '../types.js';
import type { NerLabel, NerSpan } from './types.js';

/** What the model's types are in terminology groups. */
export const GROUP_TO_NER_LABEL: Readonly<Record<SemanticGroup, NerLabel | undefined>> = {
  disorder: 'PROBLEM',
  finding: 'PROBLEM',
  medication: 'DRUG',
  'clinical-drug': 'DRUG',
  allergen: 'DRUG',
  observable: 'TEST',
  procedure: undefined,
  vaccine: undefined,
};

/** Surface forms that are ordinary words or abbreviations with several senses, lower-cased. */
export const DEFAULT_AMBIGUOUS_TERMS: ReadonlySet<string> = new Set([
  'cold', 'lead', 'ms', 'pt', 'pe', 'ra', 'ca', 'cad', 'ad', 'fall', 'falls', 'mass', 'iron', 'gold',
  'arrest', 'block', 'discharge', 'culture', 'depression', 'sob', 'pcp', 'ed', 'cp', 'bs', 'dm', 'hd', 'or', 'it',
  'as', 'am', 'pm', 'us', 'sa', 'ic', 'cs', 'cva', 'mi', 'cold sore',
]);

/** Tuning of the merge. */
export interface MergeOptions {
  /** Decides whether a dictionary match may be dropped when the model disagrees. Default: `isAmbiguousTerm`. */
  readonly isAmbiguous?: (surface: string, match: TermMatch) => boolean;
  /** Model spans below this score are ignored (default 0.5). */
  readonly minModelScore?: number;
  /** Model score from which the model's type overrides a dictionary type (default 0.7). */
  readonly typeOverrideScore?: number;
  /** Confidence factor for a dictionary match the model did not confirm (default 0.7). */
  readonly dictionaryOnlyFactor?: number;
  /** Confidence factor for a model span the dictionary did not match (default 0.8). */
  readonly modelOnlyFactor?: number;
}

/** A merged span. `label` is undefined for dictionary groups the model does not cover. */
export interface HybridSpan extends Span {
  readonly label: NerLabel | undefined;
  readonly concept: Concept | undefined;
  readonly confidence: number;
  readonly sources: readonly MentionSource[];
  readonly decision: 'agreed' | 'dictionary-only' | 'model-only' | 'model-type' | 'passthrough';
  /** The model's own score, for spans the model alone found. */
  readonly modelScore?: number;
}

/** The merge result, with what the model removed (for evaluation reports). */
export interface MergeResult {
  readonly spans: HybridSpan[];
  readonly suppressed: TermMatch[];
}

/**
 * The default ambiguity rule: a listed word, a surface of at most 3 letters, or a misspelling or abbreviation match
 * (word-order and laterality variants of a term are not ambiguous: a small model's silence is no reason to drop
 * "knee pain, left").
 * @param surface - the matched text.
 * @param match - the dictionary match.
 * @returns whether the model may veto it.
 */
export function isAmbiguousTerm(surface: string, match: TermMatch): boolean {
  const s = surface.trim().toLowerCase();
  return DEFAULT_AMBIGUOUS_TERMS.has(s) || s.replace(/[^a-z0-9]/g, '').length <= 3 || match.kind === 'spelling' || match.kind === 'abbreviation';
}

const overlaps = (a: Span, b: Span): boolean => a.start < b.end && b.start < a.end;

/**
 * Merges dictionary matches and model spans over the same text.
 * @param text - the text both ran on (for surface forms; nothing is kept).
 * @param matches - non-overlapping dictionary matches.
 * @param modelSpans - non-overlapping model spans.
 * @param covered - spans the model ran on (sentences); a dictionary match outside them is never vetoed.
 *   Default: the whole text.
 * @param options - thresholds.
 * @returns merged spans sorted by start, and the suppressed matches.
 */
export function mergeModelAndDictionary(
  text: string,
  matches: readonly TermMatch[],
  modelSpans: readonly NerSpan[],
  covered: readonly Span[] = [{ start: 0, end: text.length }],
  options: MergeOptions = {}
): MergeResult {
  const isAmbiguous = options.isAmbiguous ?? isAmbiguousTerm;
  const minModel = options.minModelScore ?? 0.5;
  const override = options.typeOverrideScore ?? 0.7;
  const dictOnly = options.dictionaryOnlyFactor ?? 0.7;
  const modelOnly = options.modelOnlyFactor ?? 0.8;
  const model = modelSpans.filter((m) => m.score >= minModel);
  const usedModel = new Set<NerSpan>();
  const spans: HybridSpan[] = [];
  const suppressed: TermMatch[] = [];

  for (const match of matches) {
    const label = GROUP_TO_NER_LABEL[match.concept.group];
    const base = { start: match.start, end: match.end, concept: match.concept };
    if (!label) {
      spans.push({ ...base, label, confidence: match.score, sources: ['dictionary'], decision: 'passthrough' });
      continue;
    }
    const hits = model.filter((m) => overlaps(m, match));
    const same = hits.filter((m) => m.label === label);
    if (same.length > 0) {
      const m = Math.max(...same.map((h) => h.score));
      same.forEach((h) => usedModel.add(h));
      spans.push({ ...base, label, confidence: 1 - (1 - match.score) * (1 - m), sources: ['dictionary', 'model'], decision: 'agreed' });
      continue;
    }
    // The model reads this text as another type ("potassium 4.1": a test, not the drug). Only where its span holds
    // the whole match: a drug inside a longer disorder term ("cocaine abuse", "alcohol use disorder", "iron
    // deficiency anemia") is part of the disorder's name, not a reading of it.
    const other = hits.find((m) => m.score >= override && m.start <= match.start && m.end >= match.end);
    if (other) {
      // Its own span is emitted below as 'model-type'.
      suppressed.push(match);
      continue;
    }
    const seen = covered.some((c) => c.start <= match.start && match.end <= c.end);
    if (seen && isAmbiguous(text.slice(match.start, match.end), match)) {
      suppressed.push(match);
      continue;
    }
    spans.push({ ...base, label, confidence: match.score * (seen ? dictOnly : 1), sources: ['dictionary'], decision: 'dictionary-only' });
  }

  for (const m of model) {
    if (usedModel.has(m)) continue;
    if (spans.some((s) => overlaps(s, m))) continue; // a kept dictionary span of another type holds the text
    const typeConflict = matches.some((d) => overlaps(d, m));
    spans.push({
      start: m.start,
      end: m.end,
      label: m.label,
      concept: undefined,
      confidence: m.score * modelOnly,
      modelScore: m.score,
      sources: ['model'],
      decision: typeConflict ? 'model-type' : 'model-only',
    });
  }
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  return { spans, suppressed };
}
