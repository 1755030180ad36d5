/**
 * A small in-memory `TerminologyIndex` for tests and benchmarks: exact, case-insensitive, longest matches of the
 * terms given, on token boundaries. Not for production: the real index lives in `src/terminology/`.
 */
import { createHash } from 'node:crypto';
import { ICD10CM, RXNORM, SNOMED } from '../../terminology/systems.js';
import type { Concept, ConceptCoding, SemanticGroup, TermMatch, TerminologyIndex } from '../../terminology/types.js';
import { addPhrase, createTrie, longestAt } from '../phrase-trie.js';
import { splitWords } from '../ner/words.js';
import { phraseNorms, tokenize } from '../tokenize.js';

/** One concept for the test index: its primary coding, cross-maps, and the terms that match it. */
export interface TestConceptSpec {
  readonly system: string;
  readonly code: string;
  readonly display: string;
  readonly group: SemanticGroup;
  readonly terms: readonly string[];
  readonly crossMaps?: readonly ConceptCoding[];
}

const PREFIX: Readonly<Record<string, string>> = { [SNOMED]: 'sct', [RXNORM]: 'rxn' };

/**
 * Builds a test index.
 * @param specs - the concepts.
 * @param name - index name (default `test-terminology`).
 * @returns the index.
 */
export function buildTestTerminology(specs: readonly TestConceptSpec[], name = 'test-terminology'): TerminologyIndex {
  const trie = createTrie<Concept>();
  const byTerm = new Map<string, Concept[]>();
  const byId = new Map<string, Concept>();
  const byCode = new Map<string, Concept>();
  for (const spec of specs) {
    const id = `${PREFIX[spec.system] ?? 'code'}:${spec.code}`;
    const concept: Concept = {
      id,
      group: spec.group,
      display: spec.display,
      codings: [{ system: spec.system, code: spec.code, display: spec.display }, ...(spec.crossMaps ?? [])],
    };
    byId.set(id, concept);
    for (const coding of concept.codings) byCode.set(`${coding.system}|${coding.code}`, concept);
    for (const term of [spec.display, ...spec.terms]) {
      const norms = phraseNorms(term);
      addPhrase(trie, norms, concept);
      const key = norms.join(' ');
      byTerm.set(key, [...(byTerm.get(key) ?? []), concept]);
    }
  }
  const sha256 = createHash('sha256').update(JSON.stringify(specs)).digest('hex');
  return {
    name,
    version: '0.0.0-test',
    sha256,
    match(text: string): TermMatch[] {
      const tokens = tokenize(text);
      const found: TermMatch[] = [];
      for (let i = 0; i < tokens.length; i++) {
        if (!trie.next.has(tokens[i].norm)) continue;
        const m = longestAt(trie, tokens, i, tokens.length);
        if (!m) continue;
        found.push({ start: tokens[i].start, end: tokens[m.endToken - 1].end, concept: m.values[0], score: 1 });
        i = m.endToken - 1;
      }
      return found;
    },
    lookup: (system, code) => byCode.get(`${system}|${code}`),
    get: (id) => byId.get(id),
    lookupTerm(phrase, groups) {
      const candidates = byTerm.get(phraseNorms(phrase).join(' ')) ?? [];
      return candidates.find((c) => !groups || groups.includes(c.group));
    },
    hasTermWithin(text, start, end) {
      // exact, by brute force: the test index is small and its users' texts are short
      const words = splitWords(text, start, end);
      for (let a = 0; a < words.length; a++) {
        for (let b = a; b < words.length; b++) {
          if (byTerm.has(phraseNorms(text.slice(words[a].start, words[b].end)).join(' '))) return true;
        }
      }
      return false;
    },
  };
}

const sct = (code: string, display: string, terms: string[], icd?: [string, string], group: SemanticGroup = 'disorder'): TestConceptSpec => ({
  system: SNOMED,
  code,
  display,
  group,
  terms,
  ...(icd ? { crossMaps: [{ system: ICD10CM, code: icd[0], display: icd[1] }] } : {}),
});
const rxn = (code: string, display: string, terms: string[] = []): TestConceptSpec => ({
  system: RXNORM,
  code,
  display,
  group: 'medication',
  terms,
});

/** A handful of common concepts, enough for the rule stages' tests and the benchmark. Abbreviations are left out
 * on purpose, so the abbreviation stage is what finds "HTN" or "SOB". */
export const TEST_CONCEPTS: readonly TestConceptSpec[] = [
  sct('38341003', 'Hypertension', ['hypertension', 'high blood pressure', 'essential hypertension'], ['I10', 'Essential (primary) hypertension']),
  sct('44054006', 'Type 2 diabetes mellitus', ['type 2 diabetes', 'type 2 diabetes mellitus', 'type II diabetes', 'diabetes mellitus type 2', 'type 2 diabetes mellitus'], ['E11.9', 'Type 2 diabetes mellitus without complications']),
  sct('46635009', 'Type 1 diabetes mellitus', ['type 1 diabetes', 'type 1 diabetes mellitus'], ['E10.9', 'Type 1 diabetes mellitus without complications']),
  sct('73211009', 'Diabetes mellitus', ['diabetes', 'diabetes mellitus']),
  sct('29857009', 'Chest pain', ['chest pain', 'chest pains'], ['R07.9', 'Chest pain, unspecified'], 'finding'),
  sct('386661006', 'Fever', ['fever', 'fevers', 'febrile'], ['R50.9', 'Fever, unspecified'], 'finding'),
  sct('43724002', 'Chills', ['chills'], undefined, 'finding'),
  sct('49727002', 'Cough', ['cough', 'coughing'], ['R05.9', 'Cough, unspecified'], 'finding'),
  sct('267036007', 'Dyspnea', ['shortness of breath', 'dyspnea', 'short of breath'], ['R06.00', 'Dyspnea, unspecified'], 'finding'),
  sct('60845006', 'Dyspnea on exertion', ['dyspnea on exertion'], undefined, 'finding'),
  sct('16932000', 'Nausea and vomiting', ['nausea and vomiting'], undefined, 'finding'),
  sct('422587007', 'Nausea', ['nausea'], undefined, 'finding'),
  sct('25064002', 'Headache', ['headache', 'headaches'], undefined, 'finding'),
  sct('267038008', 'Edema', ['edema', 'swelling'], undefined, 'finding'),
  sct('271807003', 'Rash', ['rash'], undefined, 'finding'),
  sct('126485001', 'Urticaria', ['hives', 'urticaria'], undefined, 'finding'),
  sct('24700007', 'Multiple sclerosis', ['multiple sclerosis']),
  sct('79619009', 'Mitral valve stenosis', ['mitral stenosis', 'mitral valve stenosis']),
  sct('59282003', 'Pulmonary embolism', ['pulmonary embolism', 'pulmonary embolus']),
  sct('69896004', 'Rheumatoid arthritis', ['rheumatoid arthritis']),
  sct('128188000', 'Cerebral palsy', ['cerebral palsy']),
  sct('22298006', 'Myocardial infarction', ['myocardial infarction', 'heart attack']),
  sct('42343007', 'Congestive heart failure', ['congestive heart failure']),
  sct('13645005', 'Chronic obstructive lung disease', ['chronic obstructive pulmonary disease', 'copd']),
  sct('49436004', 'Atrial fibrillation', ['atrial fibrillation']),
  sct('195967001', 'Asthma', ['asthma']),
  sct('53741008', 'Coronary arteriosclerosis', ['coronary artery disease']),
  sct('254837009', 'Malignant neoplasm of breast', ['breast cancer']),
  sct('230690007', 'Cerebrovascular accident', ['stroke', 'cerebrovascular accident']),
  sct('233604007', 'Pneumonia', ['pneumonia']),
  sct('68566005', 'Urinary tract infectious disease', ['urinary tract infection']),
  sct('235595009', 'Gastroesophageal reflux disease', ['gastroesophageal reflux disease', 'reflux']),
  sct('709044004', 'Chronic kidney disease', ['chronic kidney disease']),
  sct('414916001', 'Obesity', ['obesity', 'obese']),
  sct('762952008', 'Peanut', ['peanuts', 'peanut'], undefined, 'allergen'),
  rxn('6809', 'metformin', ['metformin', 'glucophage']),
  rxn('29046', 'lisinopril', ['lisinopril', 'zestril']),
  rxn('1191', 'aspirin'),
  rxn('7052', 'morphine', ['morphine sulfate']),
  rxn('70618', 'penicillin', ['penicillin', 'pcn']),
  rxn('10180', 'sulfamethoxazole', ['sulfa']),
  rxn('435', 'albuterol'),
  rxn('274783', 'insulin glargine', ['lantus']),
  rxn('5487', 'hydrochlorothiazide'),
  rxn('11289', 'warfarin', ['coumadin']),
  rxn('5640', 'ibuprofen', ['motrin', 'advil']),
  rxn('7804', 'oxycodone'),
  rxn('4603', 'furosemide', ['lasix']),
  rxn('83367', 'atorvastatin', ['lipitor']),
  rxn('161', 'acetaminophen', ['tylenol']),
  rxn('2551', 'ciprofloxacin', ['cipro']),
  rxn('1202', 'atenolol'),
];

/**
 * The default test index over `TEST_CONCEPTS`.
 * @returns a new index.
 */
export function buildDefaultTestTerminology(): TerminologyIndex {
  return buildTestTerminology(TEST_CONCEPTS);
}
