/**
 * Issue 11: procedures, allergy lists and family history through the rule pipeline, on short paraphrased sentences,
 * with the test terminology (independent of what the shipped index holds).
 */
import { describe, expect, test } from 'vitest';
import { SNOMED } from '../terminology/systems.js';
import { findAllergyRegions, parseAllergyItems } from './allergies.js';
import { createRulePipeline } from './pipeline.js';
import { findProcedureTime } from './procedures.js';
import { buildTestTerminology, TEST_CONCEPTS, type TestConceptSpec } from './testing/test-terminology.js';
import type { AllergyMention, Mention, ProcedureMention } from './types.js';

const proc = (code: string, display: string, terms: string[] = []): TestConceptSpec => ({ system: SNOMED, code, display, group: 'procedure', terms });
const EXTRA: readonly TestConceptSpec[] = [
  proc('232717009', 'Coronary artery bypass graft'),
  proc('609588000', 'Total knee replacement'),
  proc('19063003', 'Arthroplasty of knee', ['knee arthroplasty']),
  proc('80146002', 'Appendectomy'),
  proc('45595009', 'Laparoscopic cholecystectomy'),
  proc('415070008', 'Percutaneous coronary intervention'),
  proc('73761001', 'Colonoscopy'),
  proc('185389009', 'Follow-up visit'),
  proc('33879002', 'Administration of vaccine to produce active immunity'),
  { system: SNOMED, code: '39579001', display: 'Anaphylaxis', group: 'disorder', terms: ['anaphylaxis'] },
  { system: SNOMED, code: '735029006', display: 'Shellfish', group: 'allergen', terms: ['shellfish'] },
  { system: SNOMED, code: '363346000', display: 'Malignant neoplasm of colon', group: 'disorder', terms: ['colon cancer'] },
];
const pipeline = createRulePipeline({ terminology: buildTestTerminology([...TEST_CONCEPTS, ...EXTRA]) });

async function run(text: string): Promise<{ mentions: readonly Mention[]; say: (m: Mention) => string }> {
  const { mentions } = await pipeline.analyze(text);
  return { mentions, say: (m) => text.slice(m.span.start, m.span.end) };
}

describe('procedures', () => {
  test('"s/p CABG x3 2009": done, with its year; the abbreviation codes to the procedure', async () => {
    const text = 'Pt is a 70M s/p CABG x3 2009, now with chest pain.';
    const { mentions, say } = await run(text);
    const p = mentions.find((m): m is ProcedureMention => m.kind === 'procedure');
    expect(p && say(p)).toBe('CABG');
    expect(p).toMatchObject({ status: 'completed', performed: { kind: 'date', value: '2009' }, concept: { id: 'sct:232717009' } });
  });

  test('a surgical history list: each item, laterality and date skipped over; the longer listed phrase wins', async () => {
    const text = 'PSH: appendectomy as a child, total knee arthroplasty R 04/2021, lap chole.\n';
    const { mentions, say } = await run(text);
    const procs = mentions.filter((m): m is ProcedureMention => m.kind === 'procedure');
    expect(procs.map(say)).toEqual(['appendectomy', 'total knee arthroplasty', 'lap chole']);
    expect(procs.map((p) => p.concept?.id)).toEqual(['sct:80146002', 'sct:609588000', 'sct:45595009']);
    expect(procs.every((p) => p.status === 'completed' && p.assertion === 'historical')).toBe(true);
    expect(procs[0].performed?.kind).toBe('phrase');
    expect(procs[1].performed).toMatchObject({ kind: 'date', value: '2021-04' });
  });

  test('planned: "plan: colonoscopy" and "scheduled for" are plans; "h/o PCI with stent" is done', async () => {
    const { mentions } = await run('History: h/o PCI with stent.\nPlan: colonoscopy next month. Scheduled for appendectomy.');
    const byId = new Map(mentions.filter((m): m is ProcedureMention => m.kind === 'procedure').map((m) => [m.concept?.id, m.status]));
    expect(Object.fromEntries(byId)).toEqual({ 'sct:415070008': 'completed', 'sct:73761001': 'planned', 'sct:80146002': 'planned' });
  });

  test('visits and vaccine administrations are not procedures the patient had', async () => {
    const { mentions } = await run('Follow-up visit. Administration of vaccine to produce active immunity today.');
    expect(mentions.filter((m) => m.kind === 'procedure')).toEqual([]);
  });

  test('performed time: ISO and US dates normalised, a range or a dose is not a date', () => {
    const time = (text: string, word: string): unknown => {
      const start = text.indexOf(word);
      return findProcedureTime(text, { start, end: start + word.length }, { start: 0, end: text.length });
    };
    expect(time('THR performed on 08/27/2007 at ABCD', 'THR')).toMatchObject({ kind: 'date', value: '2007-08-27' });
    expect(time('EGD 2023-03 normal', 'EGD')).toMatchObject({ kind: 'date', value: '2023-03' });
    expect(time('HD 2019-2022', 'HD')).toBeUndefined();
    expect(time('PCI two months ago', 'PCI')).toMatchObject({ kind: 'phrase' });
  });
});

describe('allergy lists', () => {
  test('items split into allergen and reaction in the common layouts; NKDA lists nothing', () => {
    const text = 'PCN -> anaphylaxis; sulfa (rash), shellfish, IV contrast (hives) and latex - itching';
    const items = parseAllergyItems(text, { start: 0, end: text.length }).map((i) => [
      text.slice(i.allergen.start, i.allergen.end),
      i.reaction ? text.slice(i.reaction.start, i.reaction.end) : undefined,
    ]);
    expect(items).toEqual([
      ['PCN', 'anaphylaxis'],
      ['sulfa', 'rash'],
      ['shellfish', undefined],
      ['IV contrast', 'hives'],
      ['latex', 'itching'],
    ]);
    for (const none of ['NKDA', 'NKA.', 'No known drug allergies.', 'None']) expect(parseAllergyItems(none, { start: 0, end: none.length })).toEqual([]);
  });

  test('an inline "All:" list: coded and uncoded allergens, reactions never problems', async () => {
    const text = 'PMH: asthma. All: penicillin -> anaphylaxis, shellfish (hives), adhesive tape - blisters.';
    const { mentions, say } = await run(text);
    const allergies = mentions.filter((m): m is AllergyMention => m.kind === 'allergy');
    expect(allergies.map(say)).toEqual(['penicillin', 'shellfish', 'adhesive tape']);
    expect(allergies.map((a) => a.concept?.id)).toEqual(['rxn:70618', 'sct:735029006', undefined]);
    expect(allergies.map((a) => a.reaction && text.slice(a.reaction.span.start, a.reaction.span.end))).toEqual(['anaphylaxis', 'hives', 'blisters']);
    expect(allergies[0].reaction?.concept?.display).toBe('Anaphylaxis');
    expect(mentions.filter((m) => m.kind === 'problem').map(say)).toEqual(['asthma']);
  });

  test('prose "allergic to X, causes hives"; a tolerated drug is not an allergy', async () => {
    const { mentions, say } = await run('She is allergic to penicillin, causes hives. She tolerated ciprofloxacin without reaction.');
    const allergies = mentions.filter((m): m is AllergyMention => m.kind === 'allergy');
    expect(allergies.map(say)).toEqual(['penicillin']);
    expect(allergies[0].reaction?.concept?.display).toBe('Urticaria');
    expect(mentions.filter((m) => m.kind === 'problem')).toEqual([]);
  });

  test('an Allergies section ends with its line; the next line is not an allergy', async () => {
    const text = 'Allergies: lisinopril (angioedema)\nEKG in triage, aspirin given.\n';
    const { mentions, say } = await run(text);
    expect(mentions.filter((m) => m.kind === 'allergy').map(say)).toEqual(['lisinopril']);
    expect(mentions.find((m) => say(m) === 'aspirin')?.kind).toBe('medication');
  });

  test('a header with an aside ("ALLERGIES (verified w/ pt):") opens a list that runs to the blank line', async () => {
    const text = 'ALLERGIES (verified w/ pt):\n- Lisinopril -> angioedema\n- Penicillin -> rash\n\nAspirin 81 mg daily.\n';
    const { mentions, say } = await run(text);
    expect(mentions.filter((m) => m.kind === 'allergy').map(say)).toEqual(['Lisinopril', 'Penicillin']);
    expect(findAllergyRegions(text, [{ start: 0, end: text.length, section: -1 }], [])).toEqual([]);
  });

  test('past the end of the list, an Allergies section no longer makes what follows historical', async () => {
    const text = 'ALLERGIES:\n- Penicillin -> rash\n\nHOME MEDS / LABS\nHR 77. Fever today.\n';
    const { mentions, say } = await run(text);
    expect(mentions.map((m) => [say(m), m.kind, m.assertion])).toEqual([
      ['Penicillin', 'allergy', 'historical'],
      ['HR 77', 'measurement', 'affirmed'],
      ['Fever', 'problem', 'affirmed'],
    ]);
  });
});

describe('family history', () => {
  test('"FHx: mother breast cancer, father colon cancer at 60": one relative each', async () => {
    const { mentions, say } = await run('FHx: mother breast cancer, father colon cancer at 60.\n');
    const fam = mentions.filter((m) => m.assertion === 'family').map((m) => [say(m), m.relative]);
    expect(fam).toEqual([
      ['breast cancer', 'MTH'],
      ['colon cancer', 'FTH'],
    ]);
  });

  test('prose "her brother had an MI at 45" is the brother\'s; the patient\'s own MI stays the patient\'s', async () => {
    const { mentions, say } = await run('Her brother had a myocardial infarction at 45. She had a myocardial infarction in 2019.');
    expect(mentions.map((m) => [say(m), m.assertion, m.relative])).toEqual([
      ['myocardial infarction', 'family', 'BRO'],
      ['myocardial infarction', 'affirmed', undefined],
    ]);
  });

  test('a relative who is an informant or companion is not the experiencer; nor is "as a child", nor Child-Pugh', async () => {
    const { mentions } = await run(
      'Pt and daughter report fever and chest pain. Wife found pt with headache. Asthma as a child. Cirrhosis, Child-Pugh B, with edema.'
    );
    expect(mentions.filter((m) => m.assertion === 'family')).toEqual([]);
  });
});
