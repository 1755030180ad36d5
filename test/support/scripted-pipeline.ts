/**
 * A scripted NlpPipeline for tests of the plumbing (queue, store, write-back): it finds fixed words and says what a
 * script tells it. The real pipeline has its own tests; end-to-end tests use the real one.
 */
import type { Mention, NlpPipeline, NlpResult } from '../../src/nlp/types.js';
import type { Concept } from '../../src/terminology/types.js';

/** Concepts the scripted pipeline knows. */
export const SCRIPTED_CONCEPTS: Record<string, Concept> = {
  hypertension: {
    id: 'sct:38341003',
    group: 'disorder',
    display: 'Hypertensive disorder',
    codings: [
      { system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertensive disorder' },
      { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10', display: 'Essential (primary) hypertension' },
    ],
  },
  asthma: {
    id: 'sct:195967001',
    group: 'disorder',
    display: 'Asthma',
    codings: [{ system: 'http://snomed.info/sct', code: '195967001', display: 'Asthma' }],
  },
};

/**
 * A pipeline that reports every occurrence of the scripted words as an affirmed problem, or negated when the word
 * is preceded by "no ".
 * @param version - the pipeline version it reports.
 * @returns the pipeline.
 */
export function scriptedPipeline(version = 'scripted-1'): NlpPipeline {
  return {
    info: { name: 'scripted', version, components: [] },
    async analyze(text: string): Promise<NlpResult> {
      const mentions: Mention[] = [];
      for (const [word, concept] of Object.entries(SCRIPTED_CONCEPTS)) {
        for (const m of text.matchAll(new RegExp(`\\b${word}\\b`, 'gi'))) {
          const start = m.index ?? 0;
          const negated = /\bno\s+$/i.test(text.slice(Math.max(0, start - 4), start));
          mentions.push({
            kind: 'problem',
            id: `problem-${start}-${start + word.length}`,
            span: { start, end: start + word.length },
            sentence: 0,
            section: undefined,
            concept,
            assertion: negated ? 'negated' : 'affirmed',
            confidence: 0.9,
            sources: ['dictionary'],
          });
        }
      }
      return { sections: [], sentences: [{ start: 0, end: text.length, section: -1 }], mentions };
    },
  };
}
