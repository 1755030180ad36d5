/**
 * Drug vocabulary of the shipped index (issue 11): newer agents, insulin types, biologics, supportive oncology
 * drugs, oxygen, supplements and electrolytes, brands, combination products and allergen substances. Sentences
 * are paraphrased, never copied from a note.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DictionaryIndex } from './dictionary-index.js';
import { loadTerminologyIndex } from './load-index.js';
import { RXNORM, SNOMED } from './systems.js';
import type { TermMatch } from './types.js';

let index: DictionaryIndex;
beforeAll(async () => {
  index = await loadTerminologyIndex();
});

const at = (text: string, phrase: string): TermMatch | undefined =>
  index.match(text).find((m) => text.slice(m.start, m.end).toLowerCase() === phrase.toLowerCase());
const rxOf = (m: TermMatch | undefined): string | undefined => m?.concept.codings.find((c) => c.system === RXNORM)?.code;

describe('drug vocabulary', () => {
  it.each([
    ['Started empagliflozin 10 mg daily.', 'empagliflozin', '1545653'],
    ['Continue Jardiance 25 mg daily.', 'Jardiance', '1545653'],
    ['On Farxiga 10 mg.', 'Farxiga', '1488564'],
    ['Ozempic 0.5 mg weekly.', 'Ozempic', '1991302'],
    ['Trulicity 1.5 mg weekly.', 'Trulicity', '1551291'],
    ['Lantus insulin 20 units at bedtime.', 'Lantus insulin', '274783'],
    ['Levemir 10 units nightly.', 'Levemir', '139825'],
    ['NovoLog 4 units with meals.', 'NovoLog', '51428'],
    ['Neulasta given day 2.', 'Neulasta', '338036'],
    ['Keytruda every 3 weeks.', 'Keytruda', '1547545'],
    ['Compazine 10 mg PRN nausea.', 'Compazine', '8704'],
    ['Lactulose 20 g TID.', 'Lactulose', '6218'],
    ['Xifaxan 550 mg BID.', 'Xifaxan', '35619'],
    ['Tapazole 10 mg twice daily.', 'Tapazole', '6835'],
    ['on oxygen 2 L by nasal cannula', 'oxygen', '7806'],
    ['Uses home O2 at night.', 'home O2', '7806'],
    ['Calcitriol 0.25 mcg daily.', 'Calcitriol', '1894'],
    ['Sodium bicarbonate 650 mg TID.', 'Sodium bicarbonate', '36676'],
  ])('codes %j: %s → RxNorm %s', (text, phrase, rxcui) => {
    const m = at(text, phrase);
    expect(m?.concept.group).toBe('medication');
    expect(rxOf(m)).toBe(rxcui);
  });

  it.each([
    ['Magnesium oxide 400 mg daily.', 'Magnesium oxide', 'magnesium oxide'],
    ['Senna 2 tabs at bedtime.', 'Senna', 'sennosides'],
    ['Miralax 17 g daily.', 'Miralax', 'polyethylene glycol 3350'],
    ['Melatonin 3 mg nightly.', 'Melatonin', 'melatonin'],
    ['MVI daily.', 'MVI', 'multivitamin'],
  ])('keeps a drug without a shipped code by name: %j', (text, phrase, name) => {
    const m = at(text, phrase);
    expect(m?.concept.group).toBe('medication');
    expect(m?.concept.display).toBe(name);
    expect(m?.concept.codings).toEqual([]);
  });

  it('codes a drug without RxNorm code in SNOMED CT from the IPS Free Set, keeping its own name', () => {
    const m = at('Ferrous sulfate 325 mg daily.', 'Ferrous sulfate');
    expect(m?.concept.display).toBe('ferrous sulfate');
    expect(m?.concept.codings.map((c) => [c.system, c.code])).toEqual([[SNOMED, '3829006']]);
  });

  it('gives a combination product every ingredient as a component (brands and generic pairs)', () => {
    const parts = (text: string, phrase: string): (string | undefined)[] =>
      (at(text, phrase)?.concept.components ?? []).map((id) => index.get(id)?.display);
    expect(parts('Percocet 5/325 q6h PRN.', 'Percocet')).toEqual(['oxycodone', 'acetaminophen']);
    expect(parts('Entresto 24/26 mg BID.', 'Entresto')).toEqual(['sacubitril', 'valsartan']);
    expect(parts('Hyzaar 50/12.5 daily.', 'Hyzaar')).toEqual(['losartan', 'hydrochlorothiazide']);
    expect(parts('Trelegy 1 inhalation daily.', 'Trelegy')).toEqual(['fluticasone', 'umeclidinium', 'vilanterol']);
    expect(parts('Started pip-tazo 4.5 g IV.', 'pip-tazo')).toEqual(['piperacillin', 'tazobactam']);
    expect(at('Percocet 5/325 q6h PRN.', 'Percocet')?.concept.codings).toEqual([]);
  });

  it('never codes a drug class as a drug', () => {
    for (const text of ['Continue statin.', 'On an ACE inhibitor.', 'Start a beta blocker.', 'SGLT2 inhibitor discussed.']) {
      expect(index.match(text).filter((m) => m.concept.group === 'medication' || m.concept.group === 'clinical-drug')).toEqual([]);
    }
  });
});

describe('allergen substances', () => {
  it.each([
    ['Allergies: penicillin (hives).', 'penicillin', '70618'],
    ['ALL: PCN -> anaphylaxis', 'PCN', '70618'],
  ])('codes the drug allergen in %j', (text, phrase, rxcui) => {
    expect(rxOf(at(text, phrase))).toBe(rxcui);
  });

  it.each([
    ['Allergies: sulfa (rash).', 'sulfa', 'sulfonamide antibiotics'],
    ['Allergic to shellfish.', 'shellfish', 'Shellfish'],
    ['Allergies: latex.', 'latex', 'Latex'],
    ['Allergies: IV contrast (hives).', 'IV contrast', 'iodinated contrast media'],
    ['Allergic to peanuts.', 'peanuts', 'Peanut'],
  ])('finds the allergen in %j', (text, phrase, display) => {
    const m = at(text, phrase);
    expect(m?.concept.group).toBe('allergen');
    expect(m?.concept.display).toBe(display);
  });

  it('does not read an allergen word outside an allergy context', () => {
    expect(at('The CT was done with IV contrast.', 'IV contrast')).toBeUndefined();
  });
});
