import { beforeAll, describe, expect, it } from 'vitest';
import type { DictionaryIndex } from './dictionary-index.js';
import { loadTerminologyIndex } from './load-index.js';
import { ICD10CM, LOINC, RXNORM, SNOMED } from './systems.js';
import type { Concept, TermMatch } from './types.js';

let index: DictionaryIndex;
beforeAll(async () => {
  index = await loadTerminologyIndex();
});

const code = (c: Concept, system: string): string | undefined => c.codings.find((x) => x.system === system)?.code;
const found = (matches: TermMatch[], text: string, phrase: string): TermMatch | undefined =>
  matches.find((m) => text.slice(m.start, m.end).toLowerCase() === phrase.toLowerCase());

describe('shipped terminology index', () => {
  it('exposes name, version and the sha256 of the file for provenance', () => {
    expect(index.name).toBe('chartmine-default');
    expect(index.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(index.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('codes the acceptance sentence with exact spans', () => {
    const text = 'Hypertension, type 2 diabetes on metformin 500 mg PO BID; denies chest pain; BP 151/93, HR 77';
    const matches = index.match(text);
    const htn = found(matches, text, 'Hypertension');
    expect(htn && [htn.start, htn.end]).toEqual([0, 12]);
    expect(htn && code(htn.concept, SNOMED)).toBe('38341003');
    expect(htn && code(htn.concept, ICD10CM)).toBe('I10');
    const dm = found(matches, text, 'type 2 diabetes');
    expect(dm && [dm.start, dm.end]).toEqual([14, 29]);
    expect(dm && code(dm.concept, SNOMED)).toBe('44054006');
    expect(dm && code(dm.concept, ICD10CM)).toBe('E11.9');
    const met = found(matches, text, 'metformin');
    expect(met && [met.start, met.end]).toEqual([33, 42]);
    expect(met && code(met.concept, RXNORM)).toBe('6809');
    expect(met?.concept.group).toBe('medication');
    const cp = found(matches, text, 'chest pain');
    expect(cp && [cp.start, cp.end]).toEqual([65, 75]);
    expect(cp && code(cp.concept, SNOMED)).toBe('29857009');
    expect(cp && code(cp.concept, ICD10CM)).toBe('R07.9');
    expect(found(matches, text, 'BP')?.concept.group).toBe('observable');
    expect(found(matches, text, 'HR') && code(found(matches, text, 'HR')!.concept, LOINC)).toBe('8867-4');
    for (const m of matches) expect(m.end).toBeGreaterThan(m.start);
  });

  it.each([
    ['HTN', '38341003'],
    ['T2DM', '44054006'],
    ['DM2', '44054006'],
    ['CAD', '53741008'],
    ['CHF', '42343007'],
    ['COPD', '13645005'],
    ['AFib', '49436004'],
    ['SOB', '267036007'],
    ['GERD', '235595009'],
    ['CKD', '709044004'],
    ['MI', '22298006'],
    ['CVA', '230690007'],
    ['TIA', '266257000'],
  ])('matches the abbreviation %s', (abbr, snomed) => {
    const text = `Hx of ${abbr}.`;
    const m = found(index.match(text), text, abbr);
    expect(m && code(m.concept, SNOMED)).toBe(snomed);
    expect(m?.kind).toBe('abbreviation');
  });

  it.each(['MS', 'PE', 'RA', 'CP'])('never matches the ambiguous abbreviation %s', (abbr) => {
    const text = `Hx of ${abbr}.`;
    expect(found(index.match(text), text, abbr)).toBeUndefined();
  });

  it('codes an expansion with lookupTerm after disambiguation', () => {
    expect(index.lookupTerm('multiple sclerosis', ['disorder'])?.codings[0].code).toBe('24700007');
    expect(index.lookupTerm('pulmonary embolism')?.codings[0].code).toBe('59282003');
    expect(index.lookupTerm('rheumatoid arthritis')?.codings[0].code).toBe('69896004');
    expect(index.lookupTerm('metformin', ['disorder'])).toBeUndefined();
  });

  it('looks concepts up by code and id, with displays from the index', () => {
    expect(index.lookup(SNOMED, '38341003')?.display).toBe('Hypertensive disorder');
    expect(index.lookup(ICD10CM, 'E11.65')?.display).toBe('Type 2 diabetes mellitus with hyperglycemia');
    expect(index.get('rx:6809')?.codings[0]).toEqual({ system: RXNORM, code: '6809', display: 'metformin' });
    expect(index.lookup('http://example.org/unknown', 'x')).toBeUndefined();
  });

  it('codes brand names at ingredient level', () => {
    for (const [brand, rxcui] of [['Lipitor', '83367'], ['Coumadin', '11289'], ['Lasix', '4603']]) {
      const text = `on ${brand} daily`;
      expect(found(index.match(text), text, brand)?.concept.codings[0].code).toBe(rxcui);
    }
  });
});
