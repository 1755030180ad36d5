/** The consolidation stage: one finding per concept per note, with the note's final assertion and status. */
import { describe, expect, test } from 'vitest';
import type { Condition, MedicationStatement } from '@medplum/fhirtypes';
import { aConcept, aMedication, aProblem, aResult } from '../../test/builders/mentions.js';
import type { Mention, Sentence } from '../nlp/types.js';
import { ICD10CM, RXNORM, SNOMED } from '../terminology/systems.js';
import { consolidateMentions, isChronic } from './consolidate.js';
import { DEFAULT_MAPPING_OPTIONS, type MappingOptions, type NoteVersion } from './finding-types.js';
import { mapFindings } from './map-findings.js';

const options: MappingOptions = { ...DEFAULT_MAPPING_OPTIONS, pipelineVersion: 'p1' };
const note: NoteVersion = { id: 'n1', versionId: '1', subject: { reference: 'Patient/p1' }, attachmentPath: 'DocumentReference.content[0].attachment', status: 'current' };
const icd = (sct: string, display: string, code: string): ReturnType<typeof aConcept> =>
  aConcept(`sct:${sct}`, display, 'disorder', [
    { system: SNOMED, code: sct, display },
    { system: ICD10CM, code, display },
  ]);
const HTN = icd('38341003', 'Hypertension', 'I10');
const DM = icd('73211009', 'Diabetes mellitus', 'E11.9');
const T2DM = icd('44054006', 'Type 2 diabetes mellitus', 'E11.9');
const CHEST_PAIN = icd('29857009', 'Chest pain', 'R07.9');
const PE = icd('59282003', 'Pulmonary embolism', 'I26.99');
const DVT = icd('128053003', 'Deep venous thrombosis', 'I82.409');
const NAUSEA = icd('422587007', 'Nausea', 'R11.0');
const N_AND_V = icd('16932000', 'Nausea and vomiting', 'R11.2');
const LISINOPRIL = aConcept('rxnorm:29046', 'lisinopril', 'medication', [{ system: RXNORM, code: '29046', display: 'lisinopril' }]);

/** One sentence per line of the text. */
function sentencesOf(text: string): Sentence[] {
  const out: Sentence[] = [];
  let start = 0;
  for (const line of text.split('\n')) {
    out.push({ start, end: start + line.length, section: -1 } as Sentence);
    start += line.length + 1;
  }
  return out;
}
const sentenceAt = (text: string, word: string, from = 0): number => text.slice(0, text.indexOf(word, from)).split('\n').length - 1;

function conditions(text: string, mentions: Mention[]): Condition[] {
  return mapFindings(note, text, { ...aResult(...mentions), sentences: sentencesOf(text) }, options)
    .map((f) => f.resource)
    .filter((r): r is Condition => r.resourceType === 'Condition');
}
const assertionOf = (c: Condition): string | undefined => c.extension?.find((e) => e.url.endsWith('nlp-assertion'))?.valueCode;

describe('consolidation: problems', () => {
  test('a denial in the review of systems never flips a finding affirmed elsewhere', () => {
    const text = 'HPI: chest pain since noon.\nROS: denies chest pain at rest.';
    const found = conditions(text, [
      aProblem(text, 'chest pain', CHEST_PAIN, { section: 'history-present-illness' }),
      aProblem(text, 'chest pain', CHEST_PAIN, { section: 'review-of-systems', assertion: 'negated', span: { start: text.lastIndexOf('chest pain'), end: text.lastIndexOf('chest pain') + 10 }, sentence: 1 }),
    ]);
    expect(found.map(assertionOf)).toEqual(['affirmed']);
    expect(found[0].extension?.filter((e) => e.url.endsWith('derivation-reference'))).toHaveLength(2); // both spans kept
  });

  test('the assessment concludes: a denial there wins over an affirmation elsewhere; a suspicion there does not', () => {
    const text = 'HPI: PE per outside report.\nA/P: PE ruled out by CTA.';
    const second = text.lastIndexOf('PE');
    const ruledOut = conditions(text, [
      aProblem(text, 'PE', PE, { section: 'history-present-illness' }),
      aProblem(text, 'PE', PE, { section: 'assessment-and-plan', assertion: 'negated', span: { start: second, end: second + 2 }, sentence: 1 }),
    ]);
    expect(ruledOut.map(assertionOf)).toEqual(['negated']);
    const suspected = conditions(text, [
      aProblem(text, 'PE', PE, { section: 'history-present-illness' }),
      aProblem(text, 'PE', PE, { section: 'assessment-and-plan', assertion: 'possible', span: { start: second, end: second + 2 }, sentence: 1 }),
    ]);
    expect(suspected.map(assertionOf)).toEqual(['affirmed']);
    const onlySuspected = conditions(text, [
      aProblem(text, 'PE', PE, { section: 'history-present-illness', assertion: 'negated' }),
      aProblem(text, 'PE', PE, { section: 'assessment-and-plan', assertion: 'possible', span: { start: second, end: second + 2 }, sentence: 1 }),
    ]);
    expect(onlySuspected.map(assertionOf)).toEqual(['possible']);
  });

  test('without an assessment, a later denial concludes an earlier rule-out ("r/o PE" … "no PE on CTA")', () => {
    const text = 'r/o PE.\nCTA: no PE.';
    const second = text.lastIndexOf('PE');
    const found = conditions(text, [
      aProblem(text, 'PE', PE, { assertion: 'possible' }),
      aProblem(text, 'PE', PE, { assertion: 'negated', span: { start: second, end: second + 2 }, sentence: 1 }),
    ]);
    expect(found.map(assertionOf)).toEqual(['negated']);
  });

  test('a chronic disease in the past medical history is present; an episodic event there stays historical', () => {
    const text = 'PMH: HTN, DVT 2015.';
    const found = conditions(text, [
      aProblem(text, 'HTN', HTN, { section: 'past-medical-history', assertion: 'historical' }),
      aProblem(text, 'DVT', DVT, { section: 'past-medical-history', assertion: 'historical' }),
    ]);
    expect(found.map((c) => `${c.code?.text}:${assertionOf(c)}`).sort()).toEqual(['Deep venous thrombosis:historical', 'Hypertension:affirmed']);
  });

  test('a resolution cue counts only for its own list item ("HTN, HLD, former smoker": HTN is present)', () => {
    const text = 'PMH: HTN, former smoker.';
    const found = conditions(text, [aProblem(text, 'HTN', HTN, { section: 'past-medical-history', assertion: 'historical' })]);
    expect(found.map(assertionOf)).toEqual(['affirmed']);
  });

  test('a chronic disease stays historical when its sentence says it resolved', () => {
    const text = 'History of hypertension, resolved after weight loss.';
    const found = conditions(text, [aProblem(text, 'hypertension', HTN, { assertion: 'historical' })]);
    expect(found.map(assertionOf)).toEqual(['historical']);
    expect(isChronic(HTN)).toBe(true);
    expect(isChronic(DVT)).toBe(false);
    expect(isChronic(aConcept('sct:1', 'No ICD-10-CM code'))).toBe(false);
  });

  test('"diabetes mellitus" and "type 2 diabetes mellitus" in one note are one Condition, coded with the specific concept', () => {
    const text = 'PMH: type 2 diabetes mellitus.\nA/P: diabetes mellitus, on metformin.';
    const found = conditions(text, [
      aProblem(text, 'type 2 diabetes mellitus', T2DM),
      aProblem(text, 'diabetes mellitus', DM, { span: { start: text.lastIndexOf('diabetes mellitus'), end: text.lastIndexOf('diabetes mellitus') + 17 }, sentence: 1 }),
    ]);
    expect(found.map((c) => c.code?.text)).toEqual(['Type 2 diabetes mellitus']);
  });

  test('"nausea and vomiting" is not a more specific "nausea": both stay', () => {
    const text = 'Nausea. Nausea and vomiting.';
    const found = conditions(text, [aProblem(text, 'Nausea', NAUSEA), aProblem(text, 'Nausea and vomiting', N_AND_V, { span: { start: 8, end: 27 } })]);
    expect(found).toHaveLength(2);
  });

  test('consolidation is deterministic: the same mentions in another note version give the same identifiers', () => {
    const text = 'HTN. No HTN.';
    const mentions = [aProblem(text, 'HTN', HTN), aProblem(text, 'HTN', HTN, { assertion: 'negated', span: { start: 8, end: 11 } })];
    const a = consolidateMentions(text, mentions, sentencesOf(text));
    const b = consolidateMentions(text, mentions, sentencesOf(text));
    expect(a).toEqual(b);
    expect(a.map((m) => m.assertion)).toEqual(['affirmed', 'affirmed']);
  });
});

describe('consolidation: medications', () => {
  const statements = (text: string, mentions: Mention[]): MedicationStatement[] =>
    mapFindings(note, text, { ...aResult(...mentions), sentences: sentencesOf(text) }, options)
      .map((f) => f.resource)
      .filter((r): r is MedicationStatement => r.resourceType === 'MedicationStatement');

  test('a drug in the medication list and held in the plan is one MedicationStatement, on-hold', () => {
    const text = 'Meds: lisinopril 10 mg daily.\nPlan: hold lisinopril for AKI.';
    const second = text.lastIndexOf('lisinopril');
    const found = statements(text, [
      aMedication(text, 'lisinopril', LISINOPRIL, { section: 'medications', status: 'active', sig: { dose: { value: 10, unit: 'mg' } } }),
      aMedication(text, 'lisinopril', LISINOPRIL, { section: 'plan', status: 'on-hold', span: { start: second, end: second + 10 }, sentence: sentenceAt(text, 'hold') }),
    ]);
    expect(found.map((s) => s.status)).toEqual(['on-hold']);
  });

  test('a stated status outweighs a later default one: held then stopped in the course, then listed before admission', () => {
    const text = 'Course: lisinopril held for AKI and now discontinued.\nHome meds: lisinopril 20 mg daily';
    const second = text.lastIndexOf('lisinopril');
    const found = statements(text, [
      aMedication(text, 'lisinopril', LISINOPRIL, { status: 'stopped', statusStated: true }),
      aMedication(text, 'lisinopril', LISINOPRIL, { status: 'active', statusStated: false, span: { start: second, end: second + 10 }, sentence: 1 }),
    ]);
    expect(found.map((s) => s.status)).toEqual(['stopped']);
  });

  test('a dose change keeps the new dose only', () => {
    const text = 'lisinopril 10 mg daily.\nIncrease lisinopril to 20 mg daily.';
    const second = text.lastIndexOf('lisinopril');
    const found = statements(text, [
      aMedication(text, 'lisinopril', LISINOPRIL, { sig: { dose: { value: 10, unit: 'mg' } } }),
      aMedication(text, 'lisinopril', LISINOPRIL, { sig: { dose: { value: 20, unit: 'mg' } }, span: { start: second, end: second + 10 }, sentence: 1 }),
    ]);
    expect(found).toHaveLength(1);
    expect(found[0].dosage?.map((d) => d.doseAndRate?.[0].doseQuantity?.value)).toEqual([20]);
  });

  test('a mention without a stated status takes the status another mention states', () => {
    const text = 'Ran out of lisinopril.\nlisinopril';
    const second = text.lastIndexOf('lisinopril');
    const found = statements(text, [
      aMedication(text, 'lisinopril', LISINOPRIL, { status: 'not-taken' }),
      aMedication(text, 'lisinopril', LISINOPRIL, { status: 'unknown', span: { start: second, end: second + 10 }, sentence: 1 }),
    ]);
    expect(found.map((s) => s.status)).toEqual(['not-taken']);
  });
});
