/**
 * The dictionary + NER hybrid as an extraction function for the `synthea` suite (`chartmine eval synthea --ner`),
 * and counts of what the model changes. Model-only spans are coded by exact term look-up in the groups of their
 * label; spans that the look-up cannot code would be written as `code.text` only and do not count as codes here.
 */
import { MODEL_ONLY_GENERIC_WORDS } from '../nlp/analyze-rules.js';
import { mergeModelAndDictionary } from '../nlp/ner/merge.js';
import type { NerLabel, NerModel } from '../nlp/ner/types.js';
import type { SemanticGroup, TerminologyIndex } from '../terminology/types.js';
import type { ExtractedCode, ExtractedResourceType, ExtractFn } from './synthea.js';

const GROUPS_OF: Readonly<Record<NerLabel, readonly SemanticGroup[]>> = {
  PROBLEM: ['disorder', 'finding'],
  DRUG: ['clinical-drug', 'medication'],
  TEST: ['observable'],
};
const RESOURCE_OF: Readonly<Record<NerLabel, ExtractedResourceType>> = {
  PROBLEM: 'Condition',
  DRUG: 'MedicationRequest',
  TEST: 'Observation',
};

/** What the model changed over the dictionary, summed over every text the extractor saw. */
export interface HybridCounts {
  dictionaryMatches: number;
  agreed: number;
  suppressed: number;
  modelOnly: number;
  modelOnlyCoded: number;
  typeChanged: number;
  /** Surface forms (lower-cased) the model removed, with how often. */
  suppressedTerms: Record<string, number>;
  /** Surface forms the model added that the dictionary missed, with how often. */
  addedTerms: Record<string, number>;
}

/**
 * Counts one more occurrence of a surface form (lower-cased).
 * @param into - the tally.
 * @param surface - the surface form.
 */
export function tally(into: Record<string, number>, surface: string): void {
  const key = surface.toLowerCase();
  into[key] = (into[key] ?? 0) + 1;
}

/**
 * The most frequent entries of a tally.
 * @param t - the tally.
 * @param n - how many to keep.
 * @returns `[surface, count]` pairs, most frequent first.
 */
export function topTerms(t: Readonly<Record<string, number>>, n: number): Array<[string, number]> {
  return Object.entries(t)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n);
}

/**
 * The most frequent entries of a tally as one line: `cold (6), fall (4)`.
 * @param top - pairs from `topTerms`.
 * @returns the line.
 */
export function formatTopTerms(top: ReadonlyArray<readonly [string, number]>): string {
  return top.map(([t, n]) => `${t} (${n})`).join(', ');
}

/**
 * Builds the hybrid extractor.
 * @param index - the terminology index.
 * @param model - the NER model.
 * @returns the extractor and its running counts.
 */
export function nerHybridExtractor(index: TerminologyIndex, model: NerModel): { extract: ExtractFn; counts: HybridCounts } {
  const counts: HybridCounts = {
    dictionaryMatches: 0,
    agreed: 0,
    suppressed: 0,
    modelOnly: 0,
    modelOnlyCoded: 0,
    typeChanged: 0,
    suppressedTerms: {},
    addedTerms: {},
  };
  const extract: ExtractFn = async (text) => {
    const matches = index.match(text);
    const { spans, suppressed } = mergeModelAndDictionary(text, matches, await model.recognize(text));
    counts.dictionaryMatches += matches.length;
    counts.suppressed += suppressed.length;
    for (const m of suppressed) tally(counts.suppressedTerms, text.slice(m.start, m.end));
    const out: ExtractedCode[] = [];
    for (const s of spans) {
      if (s.decision === 'agreed') counts.agreed++;
      if (s.decision === 'model-only') {
        counts.modelOnly++;
        tally(counts.addedTerms, text.slice(s.start, s.end));
      }
      if (s.decision === 'model-type') counts.typeChanged++;
      if (!s.label) continue;
      const surface = text.slice(s.start, s.end);
      if (!s.concept && MODEL_ONLY_GENERIC_WORDS.has(surface.toLowerCase())) continue; // as the pipeline does
      const concept = s.concept ?? index.lookupTerm(surface, GROUPS_OF[s.label]);
      if (!concept) continue;
      if (!s.concept) counts.modelOnlyCoded++;
      const g = concept.group;
      const resourceType: ExtractedResourceType =
        g === 'disorder' || g === 'finding' ? 'Condition' : g === 'observable' ? 'Observation' : g === 'medication' || g === 'clinical-drug' ? 'MedicationRequest' : RESOURCE_OF[s.label];
      out.push({ resourceType, start: s.start, end: s.end, codings: concept.codings, ingredients: concept.ingredients });
    }
    return out;
  };
  return { extract, counts };
}
