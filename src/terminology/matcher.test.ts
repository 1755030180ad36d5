import { beforeAll, describe, expect, it } from 'vitest';
import type { DictionaryIndex } from './dictionary-index.js';
import { loadTerminologyIndex } from './load-index.js';
import { ICD10CM, LOINC, RXNORM, SNOMED } from './systems.js';
import type { TermMatch } from './types.js';

let index: DictionaryIndex;
beforeAll(async () => {
  index = await loadTerminologyIndex();
});

const at = (text: string, phrase: string): TermMatch | undefined => {
  const start = text.indexOf(phrase);
  return index.match(text).find((m) => m.start === start && m.end === start + phrase.length);
};
const codeOf = (m: TermMatch | undefined, system: string): string | undefined =>
  m?.concept.codings.find((c) => c.system === system)?.code;

describe('matching on the shipped index', () => {
  it('prefers the longest match and never returns overlaps', () => {
    const text = 'History of chronic kidney disease stage 3 and acute bronchitis.';
    expect(codeOf(at(text, 'chronic kidney disease stage 3'), SNOMED)).toBe('433144002');
    expect(codeOf(at(text, 'acute bronchitis'), SNOMED)).toBe('10509002');
    const matches = index.match(text);
    for (let i = 1; i < matches.length; i++) expect(matches[i].start).toBeGreaterThanOrEqual(matches[i - 1].end);
  });

  it('matches plurals, word order and stop words', () => {
    expect(codeOf(at('two urinary tract infections', 'urinary tract infections'), SNOMED)).toBe('68566005');
    const reordered = at('Dx: diabetes mellitus, type 2', 'diabetes mellitus, type 2');
    expect(codeOf(reordered, SNOMED)).toBe('44054006');
    const bag = at('arthritis rheumatoid noted', 'arthritis rheumatoid');
    expect(codeOf(bag, SNOMED)).toBe('69896004');
    expect(bag?.kind).toBe('word-order');
  });

  it('tolerates misspellings of long words, never of short ones', () => {
    const m = at('admitted with pnuemonia', 'pnuemonia');
    expect(codeOf(m, SNOMED)).toBe('233604007');
    expect(m?.kind).toBe('spelling');
    expect(m && m.score).toBeLessThan(1);
    expect(codeOf(at('long-standing hypertenson', 'hypertenson'), SNOMED)).toBe('38341003');
    expect(at('flare of gaut', 'gaut')).toBeUndefined();
    expect(at('on lasik', 'lasik')).toBeUndefined(); // brands never fuzzy-match
  });

  it('filters by meaning: cold, drug vs lab, vaccines, ambiguous abbreviations, lower-case SOB', () => {
    expect(at('extremities cold to touch', 'cold')).toBeUndefined();
    expect(at('ice pack; cold compress', 'cold')).toBeUndefined();
    expect(codeOf(at('she has a cold since Monday', 'cold'), SNOMED)).toBe('82272006');
    expect(at('potassium 4.1', 'potassium')?.concept.group).toBe('observable');
    const kcl = at('potassium chloride 20 mEq daily', 'potassium chloride');
    expect(codeOf(kcl, RXNORM)).toBe('8591');
    expect(at('Immunizations given: varicella.', 'varicella')?.concept.group).toBe('vaccine');
    expect(at('history of varicella as a child', 'varicella')?.concept.group).toBe('disorder');
    expect(at('patient was sob', 'sob')).toBeUndefined();
    expect(at('c/o SOB', 'SOB')?.concept.group).toBe('finding');
  });

  it('codes substances as allergens only in allergy statements; generic words are never coded', () => {
    expect(at('closed with silk sutures', 'silk')).toBeUndefined();
    expect(at('Allergies: latex.', 'latex')?.concept.group).toBe('allergen');
    expect(at('She is allergic to peanuts', 'peanuts')?.concept.group).toBe('allergen');
    expect(at('no other disease noted', 'disease')).toBeUndefined();
    expect(index.lookupTerm('disease')).toBeDefined();
  });

  it('codes conditions with SNOMED CT and ICD-10-CM, the most specific code the text supports', () => {
    const plain = at('Type 2 diabetes mellitus, well controlled.', 'Type 2 diabetes mellitus');
    expect(codeOf(plain, ICD10CM)).toBe('E11.9');
    const full = at('Type 2 diabetes mellitus with hyperglycemia.', 'Type 2 diabetes mellitus with hyperglycemia');
    expect(codeOf(full, SNOMED)).toBe('44054006');
    expect(codeOf(full, ICD10CM)).toBe('E11.65');
    const hyper = at('T2DM, poorly controlled, hyperglycaemia on labs.', 'T2DM');
    expect(codeOf(hyper, SNOMED)).toBe('44054006');
    expect(codeOf(hyper, ICD10CM)).toBe('E11.65');
    expect(hyper?.concept.base).toBe('sct:44054006');
    expect(index.get(hyper?.concept.id ?? '')?.id).toBe('sct:44054006~E11.65');
    expect(codeOf(at('osteoarthritis of right knee', 'osteoarthritis of right knee'), ICD10CM)).toBe('M17.11');
    expect(codeOf(at('left knee osteoarthritis', 'knee osteoarthritis'), ICD10CM)).toBe('M17.12');
    expect(codeOf(at('osteoarthritis of knee', 'osteoarthritis of knee'), ICD10CM)).toBe('M17.9');
    expect(codeOf(at('otitis media of the right ear', 'otitis media'), ICD10CM)).toBe('H66.91');
    expect(codeOf(at('otitis media, left knee pain', 'otitis media'), ICD10CM)).toBe('H66.90');
  });

  it('codes every concept with displays from the index', () => {
    for (const m of index.match('HTN, T2DM, CAD on aspirin 81 mg; HbA1c 8.2; BP 150/90')) {
      for (const c of m.concept.codings) expect(c.display.length).toBeGreaterThan(0);
    }
    expect(codeOf(at('HbA1c 8.2', 'HbA1c'), LOINC)).toBe('4548-4');
  });

  it('codes Synthea clinical drugs with their RxNorm ingredients', () => {
    const text = 'lisinopril 10 mg oral tablet';
    const m = at(text, text);
    expect(codeOf(m, RXNORM)).toBe('314076');
    expect(m?.concept.group).toBe('clinical-drug');
    expect(m?.concept.ingredients?.map((c) => c.code)).toEqual(['29046']);
  });

  it('never puts text in concepts (PHI)', () => {
    const m = at('Jane Doe has hypertension', 'hypertension');
    expect(JSON.stringify(m?.concept)).not.toContain('Jane');
  });
});

describe('how notes write sides, adjectives and abbreviations', () => {
  it('reads R, L, rt, lt before a term as the side, and its laterality code follows', () => {
    expect(codeOf(at('Reports R knee pain 6/10', 'R knee pain'), ICD10CM)).toBe('M25.561');
    expect(codeOf(at('Lt knee pain since the fall', 'Lt knee pain'), ICD10CM)).toBe('M25.562');
    // not a side: rule-out, litres, radiation therapy
    expect(index.match('R/O pneumonia').map((m) => m.start)).toEqual([4]);
    expect(index.match('on 2 L nasal cannula')).toEqual([]);
  });

  it('reads a lone adjective as its finding, never one that modifies the noun after it', () => {
    const tachy = at('CV: tachycardic, regular rhythm', 'tachycardic');
    expect(codeOf(tachy, SNOMED)).toBe('3424008');
    expect(tachy?.kind).toBe('word-form');
    expect(codeOf(at('hx: HTN, hypothyroid (on levothyroxine)', 'hypothyroid'), SNOMED)).toBe('40930008');
    expect(codeOf(at('reports being constipated with no BM', 'constipated'), SNOMED)).toBe('14760008');
    expect(codeOf(at('he was hypoxic to 85% on RA', 'hypoxic'), SNOMED)).toBe('389086002');
    expect(at('ischemic CMP, s/p CABG', 'ischemic')).toBeUndefined();
    expect(at('hypoxic respiratory failure', 'hypoxic')).toBeUndefined();
  });

  it('HE, CAP and AK are abbreviations only in capitals', () => {
    expect(index.match('He reports pain.').find((m) => m.start === 0)).toBeUndefined();
    expect(codeOf(at('Grade 2 HE on lactulose', 'HE'), SNOMED)).toBe('13920009');
    expect(index.match('omeprazole 20 mg capsules').some((m) => codeOf(m, SNOMED) === '385093006')).toBe(false);
    expect(codeOf(at('admitted with CAP', 'CAP'), SNOMED)).toBe('385093006');
  });

  it('flu is the illness, not the vaccine or "flu-like"', () => {
    expect(codeOf(at('tested positive for flu', 'flu'), SNOMED)).toBe('6142004');
    for (const text of ['annual flu vaccine given today', 'flu shot in October', 'influenza vaccine declined', 'flu-like symptoms']) {
      expect(index.match(text).some((m) => codeOf(m, SNOMED) === '6142004'), text).toBe(false);
    }
  });

  it.each([
    // knee and hip OA with their side, "both knees" as bilateral
    ['PMH: OA bilat knees; GERD', 'OA bilat knees', ICD10CM, 'M17.0'],
    ['PMH: OA L knee, BPH', 'OA L knee', ICD10CM, 'M17.12'],
    ['osteoarthritis of both knees', 'osteoarthritis of both knees', ICD10CM, 'M17.0'],
    ['ibuprofen for knee OA', 'knee OA', ICD10CM, 'M17.9'],
    // shorthand inside terms: w/o, LE, tach, pyelo, AM, exac, resp, Greek plurals
    ['PMH: migraine w/o aura', 'migraine w/o aura', SNOMED, '56097005'],
    ['EKG: sinus tach 104', 'sinus tach', SNOMED, '11092001'],
    ['no LE swelling', 'LE swelling', SNOMED, '102572006'],
    ['no hx pyelo', 'pyelo', SNOMED, '45816000'],
    ['AM stiffness ~45 min', 'AM stiffness', ICD10CM, 'M25.60'],
    ['admitted for COPD exac', 'COPD exac', SNOMED, '195951007'],
    ['chronic hypoxemic resp failure on 2 L', 'chronic hypoxemic resp failure', SNOMED, '428173007'],
    ['Spider angiomata on chest', 'Spider angiomata', ICD10CM, 'I78.1'],
    // adjectives whose noun is irregular
    ['He is not a diabetic.', 'diabetic', SNOMED, '73211009'],
    ['appears cachectic and icteric', 'icteric', SNOMED, '18165001'],
    ['diabetic foot ulcer', 'diabetic foot ulcer', SNOMED, '371087003'],
  ])('%j: %j is coded %s %s', (text, phrase, system, code) => {
    expect(codeOf(at(text, phrase), system)).toBe(code);
  });

  it('lower-case "le" is not lower extremity', () => {
    expect(index.match('le swelling').some((m) => m.start === 0)).toBe(false);
  });

  it('shares a coordination out: "urinary frequency/urgency", "joint pain/swelling", "alcohol or drug abuse"', () => {
    expect(codeOf(at('dysuria, urinary frequency/urgency', 'urgency'), SNOMED)).toBe('75088002');
    expect(codeOf(at('Denies joint pain/swelling.', 'swelling'), SNOMED)).toBe('271771009');
    expect(at('He denies alcohol or drug abuse.', 'alcohol')?.concept.display).toMatch(/alcohol abuse/i);
    // no coordination, no change: a lone "swelling" stays swelling; separate terms stay separate
    expect(codeOf(at('Denies swelling.', 'swelling'), SNOMED)).toBe('65124004');
    expect(index.match('hypertension and diabetes mellitus').map((m) => m.concept.display)).toEqual(['Hypertensive disorder', 'Diabetes mellitus']);
  });
});
