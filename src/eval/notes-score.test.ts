import type { Bundle, Extension, Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { ASSERTION_EXTENSION_URL, DERIVATION_REFERENCE_URL } from '../fhir/naming.js';
import { ICD10CM, LOINC, RXNORM, SNOMED } from '../terminology/systems.js';
import { convertUnit, namesMatch, observationMatches } from './notes-match.js';
import { parseGoldNote, type GoldNote } from './notes-gold.js';
import { buildNotesReport, formatNotesDetails } from './notes-report.js';
import { scoreNote } from './notes-score.js';
import { toWrittenItems } from './notes-written.js';

// Hand-made gold and bundles (synthetic). The note text the spans point into:
const TEXT = 'PMH: HTN. Denies chest pain. Meds: metformin 500 mg BID. Mother had breast cancer. Allergic to PCN.';
const at = (word: string): { offset: number; length: number } => ({ offset: TEXT.indexOf(word), length: word.length });

const GOLD: GoldNote = parseGoldNote('t1', {
  conditions: [
    { text: 'hypertension', icd10cm: ['I10'], snomed: ['38341003'], assertion: 'affirmed' },
    { text: 'chest pain', icd10cm: ['R07.9'], snomed: [], assertion: 'negated' },
    { text: 'dyspnea', icd10cm: ['R06.00'], snomed: [], assertion: 'possible', assertion_alternatives: ['affirmed'] },
    { text: 'obesity', icd10cm: ['E66.9'], snomed: [], assertion: 'affirmed', optional: true },
    { text: 'fever', icd10cm: ['R50.9'], snomed: [], assertion: 'hypothetical' },
    { text: 'breast cancer', icd10cm: ['C50.919'], snomed: ['254837009'], assertion: 'family', relative: 'mother' },
  ],
  procedures: [{ text: 'appendectomy', snomed: ['80146002'], icd10cm: ['Z90.49'] }],
  medications: [
    { text: 'metformin', rxnorm: ['6809'], status: 'active' },
    { text: 'lisinopril', rxnorm: [], status: 'on-hold', status_alternatives: ['active'] },
  ],
  observations: [
    { text: 'systolic blood pressure', loinc: ['8480-6'], value: 140, unit: 'mm[Hg]' },
    { text: 'diastolic blood pressure', loinc: ['8462-4'], value: 90, unit: null },
    { text: 'body weight', loinc: ['29463-7'], value: 176, unit: '[lb_av]' },
    { text: 'LVEF', loinc: ['10230-1'], value: 30, value_high: 35, unit: '%' },
    { text: 'TSH', loinc: ['3016-3'], value: 0.01, unit: 'm[IU]/L', comparator: '<' },
  ],
  allergies: [{ text: 'penicillin', rxnorm: ['70618'] }],
});

const span = (word?: string): Extension[] =>
  word
    ? [
        {
          url: DERIVATION_REFERENCE_URL,
          extension: [
            { url: 'offset', valueInteger: at(word).offset },
            { url: 'length', valueInteger: at(word).length },
          ],
        },
      ]
    : [];
const condition = (codes: { icd?: string; sct?: string }, assertion: string, text: string, word?: string): Resource => ({
  resourceType: 'Condition',
  extension: [...(span(word) ?? []), { url: ASSERTION_EXTENSION_URL, valueCode: assertion }],
  subject: { reference: 'Patient/x' },
  code: {
    coding: [...(codes.icd ? [{ system: ICD10CM, code: codes.icd }] : []), ...(codes.sct ? [{ system: SNOMED, code: codes.sct }] : [])],
    text,
  },
});
const medication = (text: string, status: string, rxnorm?: string, word?: string): Resource => ({
  resourceType: 'MedicationStatement',
  extension: span(word),
  status: status as 'active',
  subject: { reference: 'Patient/x' },
  medicationCodeableConcept: { coding: rxnorm ? [{ system: RXNORM, code: rxnorm }] : [], text },
});
const observation = (loinc: string, value: number, unit: string, comparator?: '<'): Resource => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code: loinc }] },
  valueQuantity: { value, unit, code: unit, ...(comparator ? { comparator } : {}) },
});
const bpPanel = (sys: number, dia: number): Resource => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code: '85354-9' }] },
  component: [
    { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: sys, code: 'mm[Hg]' } },
    { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: dia, code: 'mm[Hg]' } },
  ],
});
const family = (relative: string, code: string): Resource => ({
  resourceType: 'FamilyMemberHistory',
  status: 'completed',
  patient: { reference: 'Patient/x' },
  relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'X', display: relative }] },
  condition: [{ code: { coding: [{ system: SNOMED, code }], text: 'breast cancer' } }],
});
const allergy = (text: string, rxnorm?: string): Resource => ({
  resourceType: 'AllergyIntolerance',
  patient: { reference: 'Patient/x' },
  code: { coding: rxnorm ? [{ system: RXNORM, code: rxnorm }] : [], text },
});
const procedure = (sct: string): Resource => ({
  resourceType: 'Procedure',
  status: 'completed',
  subject: { reference: 'Patient/x' },
  code: { coding: [{ system: SNOMED, code: sct }], text: 'appendectomy' },
});
const bundle = (...resources: Resource[]): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    { resource: { resourceType: 'Device', status: 'active' }, request: { method: 'POST', url: 'Device' } },
    ...resources.map((resource) => ({ resource, request: { method: 'POST' as const, url: resource.resourceType } })),
    { resource: { resourceType: 'Provenance', target: [], recorded: '2024-01-01T00:00:00Z', agent: [] }, request: { method: 'POST', url: 'Provenance' } },
  ],
});

const PERFECT: Resource[] = [
  condition({ icd: 'I10', sct: '38341003' }, 'affirmed', 'Hypertension', 'HTN'),
  condition({ icd: 'R07.9' }, 'negated', 'Chest pain', 'chest pain'),
  condition({ icd: 'R06.00' }, 'affirmed', 'Dyspnea'), // an accepted alternative assertion
  procedure('80146002'),
  medication('Metformin hydrochloride 500 MG Oral Tablet', 'active', undefined, 'metformin'), // by ingredient name
  medication('Lisinopril', 'active'), // status alternative
  bpPanel(140, 90),
  observation('29463-7', 79.8, 'kg'), // 176 lb
  observation('10230-1', 33, '%'),
  observation('3016-3', 0.01, 'm[IU]/L', '<'),
  family('mother', '254837009'),
  allergy('Penicillin G', '70618'),
];

const row = (s: ReturnType<typeof scoreNote>, category: keyof ReturnType<typeof scoreNote>['counts']): object => s.counts[category];

describe('eval notes scorer', () => {
  it('scores a perfect bundle 1.0 in every category, with every assertion and status right', () => {
    const score = scoreNote(GOLD, bundle(...PERFECT));
    const report = buildNotesReport('dev', [score]);
    for (const r of report.rows) expect(r, r.category).toMatchObject({ precision: 1, recall: 1, f1: 1 });
    expect(score.counts.conditions).toMatchObject({ tp: 3, fp: 0, fn: 0, required: 3 });
    expect(score.counts.observations).toMatchObject({ tp: 5, fp: 0, fn: 0, written: 5 }); // the BP panel's components count
    expect(report.extra).toMatchObject({ assertion: { accuracy: 1, correct: 3, total: 3 }, medicationStatus: { accuracy: 1, total: 2 }, hypotheticalWritten: 0 });
    expect(score.misses).toEqual([]);
    expect(score.falsePositives).toEqual([]);
  });

  it('a missing condition is one false negative; nothing else moves', () => {
    const score = scoreNote(GOLD, bundle(...PERFECT.filter((_, i) => i !== 1)));
    expect(row(score, 'conditions')).toMatchObject({ tp: 2, fp: 0, fn: 1 });
    expect(score.misses).toEqual([{ category: 'conditions', gold: 'chest pain [R07.9] negated' }]);
    expect(row(score, 'medications')).toMatchObject({ tp: 2, fp: 0, fn: 0 });
  });

  it('an extra condition is one false positive, and a second resource for one gold entry is another', () => {
    const score = scoreNote(GOLD, bundle(...PERFECT, condition({ icd: 'J45.909' }, 'affirmed', 'Asthma', 'PMH'), condition({ sct: '38341003' }, 'affirmed', 'HTN')));
    expect(row(score, 'conditions')).toMatchObject({ tp: 3, fp: 2, fn: 0 });
    expect(score.falsePositives.map((f) => f.reason).sort()).toEqual(['duplicate', 'no gold entry']);
  });

  it('a mis-asserted condition still matches but lowers the assertion accuracy, in the confusion matrix', () => {
    const wrong = PERFECT.map((r, i) => (i === 1 ? condition({ icd: 'R07.9' }, 'affirmed', 'Chest pain', 'chest pain') : r));
    const score = scoreNote(GOLD, bundle(...wrong));
    expect(row(score, 'conditions')).toMatchObject({ tp: 3, fp: 0, fn: 0 });
    const report = buildNotesReport('dev', [score]);
    expect(report.extra).toMatchObject({ assertion: { correct: 2, total: 3, matrix: { negated: { affirmed: 1 } } } });
    expect(formatNotesDetails([score], new Map([['t1', TEXT]]))).toContain('ASSERTION chest pain [R07.9] negated: wrote affirmed (accepted: negated)  «chest pain»');
  });

  it('prefers the written resource with the right assertion when two match one entry', () => {
    const score = scoreNote(GOLD, bundle(...PERFECT, condition({ icd: 'R07.9' }, 'affirmed', 'Chest pain')));
    expect(score.assertions.every((a) => a.correct)).toBe(true);
    expect(row(score, 'conditions')).toMatchObject({ tp: 3, fp: 1 });
  });

  it('optional entries are neither misses nor false positives', () => {
    const withOptional = scoreNote(GOLD, bundle(...PERFECT, condition({ icd: 'E66.9' }, 'affirmed', 'Obesity')));
    expect(row(withOptional, 'conditions')).toMatchObject({ tp: 3, fp: 0, fn: 0 });
  });

  it('a hypothetical entry written as a Condition is a false positive and counted; never a miss', () => {
    const score = scoreNote(GOLD, bundle(...PERFECT, condition({ icd: 'R50.9' }, 'affirmed', 'Fever')));
    expect(score.hypotheticalWritten).toBe(1);
    expect(row(score, 'conditions')).toMatchObject({ tp: 3, fp: 1, fn: 0 });
    expect(buildNotesReport('dev', [score]).extra).toMatchObject({ hypotheticalWritten: 1 });
  });

  it('family entries count only as FamilyMemberHistory with the relative', () => {
    const others = PERFECT.filter((r) => r.resourceType !== 'FamilyMemberHistory');
    const wrongRelative = scoreNote(GOLD, bundle(...others, family('sister', '254837009')));
    expect(row(wrongRelative, 'family history')).toMatchObject({ tp: 0, fp: 1, fn: 1 });
    const asCondition = scoreNote(GOLD, bundle(...others, condition({ sct: '254837009' }, 'affirmed', 'Breast cancer')));
    expect(row(asCondition, 'family history')).toMatchObject({ tp: 0, fn: 1 });
    expect(row(asCondition, 'conditions')).toMatchObject({ fp: 1 });
  });

  it('medication status accuracy counts the wrong status; a wrong drug is a miss and a false positive', () => {
    const meds = PERFECT.map((r) => (r.resourceType === 'MedicationStatement' && r.medicationCodeableConcept?.text === 'Lisinopril' ? medication('Lisinopril', 'stopped') : r));
    expect(buildNotesReport('dev', [scoreNote(GOLD, bundle(...meds))]).extra).toMatchObject({ medicationStatus: { correct: 1, total: 2 } });
    const wrongDrug = PERFECT.map((r) => (r.resourceType === 'MedicationStatement' && r.medicationCodeableConcept?.text === 'Lisinopril' ? medication('Losartan', 'active') : r));
    expect(row(scoreNote(GOLD, bundle(...wrongDrug)), 'medications')).toMatchObject({ tp: 1, fp: 1, fn: 1 });
  });

  it('procedures: a Procedure with the SNOMED code, or a Condition with the Z-code (both together count once, no FP)', () => {
    const noProc = PERFECT.filter((r) => r.resourceType !== 'Procedure');
    expect(row(scoreNote(GOLD, bundle(...noProc)), 'procedures')).toMatchObject({ tp: 0, fn: 1 });
    const zOnly = scoreNote(GOLD, bundle(...noProc, condition({ icd: 'Z90.49' }, 'affirmed', 'Acquired absence of appendix')));
    expect(row(zOnly, 'procedures')).toMatchObject({ tp: 1, fp: 0, fn: 0 });
    expect(row(zOnly, 'conditions')).toMatchObject({ fp: 0 });
    const both = scoreNote(GOLD, bundle(...PERFECT, condition({ icd: 'Z90.49' }, 'affirmed', 'Acquired absence of appendix')));
    expect(row(both, 'procedures')).toMatchObject({ tp: 1, fp: 0 });
    expect(row(both, 'conditions')).toMatchObject({ fp: 0 });
  });

  it('observations: a wrong value, a lost comparator and a value outside a range each miss', () => {
    const replace = (loinc: string, r: Resource): Resource[] =>
      PERFECT.map((x) => (x.resourceType === 'Observation' && x.code?.coding?.[0]?.code === loinc ? r : x));
    expect(row(scoreNote(GOLD, bundle(...replace('29463-7', observation('29463-7', 82, 'kg')))), 'observations')).toMatchObject({ tp: 4, fp: 1, fn: 1 });
    expect(row(scoreNote(GOLD, bundle(...replace('3016-3', observation('3016-3', 0.01, 'm[IU]/L')))), 'observations')).toMatchObject({ tp: 4, fn: 1 });
    expect(row(scoreNote(GOLD, bundle(...replace('10230-1', observation('10230-1', 40, '%')))), 'observations')).toMatchObject({ tp: 4, fn: 1 });
  });

  it('matches values within 1 %, converts common units, and ignores the unit when the gold has none', () => {
    const g = parseGoldNote('x', { observations: [{ text: 't', loinc: ['8310-5'], value: 38.6, unit: 'Cel' }] }).observations[0];
    const item = (value: number, unit?: string): ReturnType<typeof toWrittenItems>[number] =>
      toWrittenItems(bundle(observation('8310-5', value, unit ?? '')))[0];
    expect(observationMatches(g, item(101.5, '[degF]'))).toBe(true);
    expect(observationMatches(g, item(38.9, 'Cel'))).toBe(true); // 0.78 %
    expect(observationMatches(g, item(39.2, 'Cel'))).toBe(false);
    const noUnit = parseGoldNote('x', { observations: [{ text: 'hr', loinc: ['8867-4'], value: 96, unit: null }] }).observations[0];
    expect(observationMatches(noUnit, toWrittenItems(bundle(observation('8867-4', 96, '/min')))[0])).toBe(true);
    expect(convertUnit(1.2, 'g/dL', 'mg/dL')).toBeCloseTo(1200);
    expect(convertUnit(5, 'mm[Hg]', 'kg')).toBe(5); // different dimensions: left as is
  });

  it('matches drugs and substances by ingredient name', () => {
    expect(namesMatch('metformin', ['metformin hydrochloride 500 mg oral tablet'])).toBe(true);
    expect(namesMatch('vitamin D3 (cholecalciferol)', ['cholecalciferol'])).toBe(true);
    expect(namesMatch('metformin', ['metoprolol'])).toBe(false);
  });

  it('--details lists misses and false positives with the text behind each written resource', () => {
    const score = scoreNote(GOLD, bundle(...PERFECT.filter((r) => r.resourceType !== 'AllergyIntolerance'), allergy('Sulfonamide')));
    const details = formatNotesDetails([score], new Map([['t1', TEXT]]));
    expect(details).toContain('MISS  allergies      penicillin [70618]');
    expect(details).toContain('FP    allergies      AllergyIntolerance "Sulfonamide"');
    expect(row(score, 'allergies')).toMatchObject({ tp: 0, fp: 1, fn: 1 });
  });

  it('rejects a gold file that does not follow the schema, naming the field', () => {
    expect(() => parseGoldNote('bad', { conditions: [{ text: 'x', assertion: 'maybe' }] })).toThrow(/conditions\[\]\.assertion/);
  });
});
