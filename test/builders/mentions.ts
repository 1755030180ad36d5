/** Builders for pipeline results in tests of the mapping and write-back (pure stages). */
import type { MeasurementMention, MedicationMention, Mention, NlpResult, ProblemMention } from '../../src/nlp/types.js';
import type { Concept } from '../../src/terminology/types.js';

/** A concept with one coding (plus optional cross-maps). */
export function aConcept(id: string, display: string, group: Concept['group'] = 'disorder', codings?: Concept['codings']): Concept {
  const [prefix, code] = id.split(':');
  const system =
    prefix === 'sct' ? 'http://snomed.info/sct' : prefix === 'rxnorm' ? 'http://www.nlm.nih.gov/research/umls/rxnorm' : 'http://loinc.org';
  return { id, group, display, codings: codings ?? [{ system, code, display }] };
}

/** The fields every affirmed dictionary mention of `word` shares (first occurrence at or after `from`). */
function mentionBase<K extends 'problem' | 'medication'>(kind: K, text: string, word: string, concept: Concept | undefined, from: number) {
  const start = text.indexOf(word, from);
  if (start < 0) throw new Error(`'${word}' not in text`);
  return {
    kind,
    id: `${kind}-${start}`,
    span: { start, end: start + word.length },
    sentence: 0,
    section: undefined,
    concept,
    assertion: 'affirmed' as const,
    confidence: 0.9,
    sources: ['dictionary' as const],
  };
}

/** A problem mention covering `word` in `text` (first occurrence after `from`). */
export function aProblem(text: string, word: string, concept: Concept | undefined, overrides: Partial<ProblemMention> = {}): ProblemMention {
  return { ...mentionBase('problem', text, word, concept, overrides.span?.start ?? 0), ...overrides };
}

/** A medication mention covering `word`. */
export function aMedication(text: string, word: string, concept: Concept, overrides: Partial<MedicationMention> = {}): MedicationMention {
  return {
    ...mentionBase('medication', text, word, concept, 0),
    sig: {},
    status: 'active',
    ...overrides,
  };
}

/** A single-valued measurement covering `phrase`. */
export function aMeasurement(text: string, phrase: string, concept: Concept, value: number, unit: string): MeasurementMention {
  const start = text.indexOf(phrase);
  return {
    kind: 'measurement',
    id: `measurement-${start}`,
    span: { start, end: start + phrase.length },
    sentence: 0,
    section: 'vital-signs',
    concept,
    assertion: 'affirmed',
    confidence: 1,
    sources: ['rule'],
    category: 'vital-signs',
    value,
    unit,
  };
}

/** A result with just these mentions. */
export function aResult(...mentions: Mention[]): NlpResult {
  return { sections: [], sentences: [], mentions };
}
