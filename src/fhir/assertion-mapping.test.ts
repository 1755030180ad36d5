/** The assertion → FHIR table of README.md ("What is written"), row by row. */
import { describe, expect, test } from 'vitest';
import type { AllergyIntolerance, Condition, MedicationStatement, Observation } from '@medplum/fhirtypes';
import { aConcept, aMeasurement, aMedication, aProblem, aResult } from '../../test/builders/mentions.js';
import type { AllergyMention, Mention } from '../nlp/types.js';
import { DEFAULT_MAPPING_OPTIONS, type MappingOptions, type NoteVersion } from './finding-types.js';
import { mapFindings } from './map-findings.js';
import { PROFILES } from './naming.js';
import { findOnsetYear } from './onset.js';

const options: MappingOptions = { ...DEFAULT_MAPPING_OPTIONS, pipelineVersion: 'p1' };
const HTN = aConcept('sct:38341003', 'Hypertensive disorder');
const CHEST_PAIN = aConcept('sct:29857009', 'Chest pain', 'finding');
const PNEUMONIA = aConcept('sct:233604007', 'Pneumonia');
const BRONCHITIS = aConcept('sct:32398004', 'Bronchitis');
const MI = aConcept('sct:22298006', 'Myocardial infarction');
const PENICILLIN = aConcept('rxnorm:7980', 'Penicillin G', 'allergen');
const METFORMIN = aConcept('rxnorm:6809', 'metformin', 'medication');

function note(overrides: Partial<NoteVersion> = {}): NoteVersion {
  return {
    id: 'n1',
    versionId: '1',
    subject: { reference: 'Patient/p1' },
    attachmentPath: 'DocumentReference.content[0].attachment',
    status: 'current',
    date: '2026-01-02T10:00:00Z',
    ...overrides,
  };
}

function map(text: string, mentions: Mention[], opts: Partial<MappingOptions> = {}, n = note()): ReturnType<typeof mapFindings> {
  return mapFindings(n, text, aResult(...mentions), { ...options, ...opts });
}

const statuses = (c: Condition): string =>
  `${c.clinicalStatus?.coding?.[0].code ?? '-'}/${c.verificationStatus?.coding?.[0].code}/${c.category?.[0].coding?.[0].code}`;

function anAllergy(text: string, word: string, overrides: Partial<AllergyMention> = {}): AllergyMention {
  const start = text.indexOf(word);
  return {
    kind: 'allergy',
    id: `allergy-${start}`,
    span: { start, end: start + word.length },
    sentence: 0,
    section: 'allergies',
    concept: PENICILLIN,
    assertion: 'affirmed',
    confidence: 0.9,
    sources: ['dictionary'],
    ...overrides,
  };
}

describe('problems → Condition', () => {
  test('affirmed: active / VERIFICATION_AFFIRMED (confirmed by default, unconfirmed when configured)', () => {
    const text = 'Hypertension.';
    const [a] = map(text, [aProblem(text, 'Hypertension', HTN)]);
    expect(statuses(a.resource as Condition)).toBe('active/confirmed/problem-list-item');
    const [b] = map(text, [aProblem(text, 'Hypertension', HTN)], { verificationAffirmed: 'unconfirmed' });
    expect(statuses(b.resource as Condition)).toBe('active/unconfirmed/problem-list-item');
  });

  test('negated: refuted, no clinical status; a symptom is a US Core health-concern, not a problem-list item', () => {
    const text = 'Denies chest pain.';
    const [c] = map(text, [aProblem(text, 'chest pain', CHEST_PAIN, { assertion: 'negated' })]);
    expect(statuses(c.resource as Condition)).toBe('-/refuted/health-concern');
    expect((c.resource as Condition).category?.[0].coding?.[0].system).toBe('http://hl7.org/fhir/us/core/CodeSystem/condition-category');
  });

  test('possible: provisional; listed with other possible problems in its sentence: differential', () => {
    const alone = 'Possible pneumonia.';
    expect(statuses(map(alone, [aProblem(alone, 'pneumonia', PNEUMONIA, { assertion: 'possible' })])[0].resource as Condition)).toBe(
      'active/provisional/problem-list-item'
    );
    const text = 'Possible pneumonia vs bronchitis.';
    const found = map(text, [aProblem(text, 'pneumonia', PNEUMONIA, { assertion: 'possible' }), aProblem(text, 'bronchitis', BRONCHITIS, { assertion: 'possible' })]);
    expect(found.map((f) => statuses(f.resource as Condition))).toEqual(['active/differential/problem-list-item', 'active/differential/problem-list-item']);
  });

  test('historical: confirmed, no clinical status by default (HISTORICAL_CLINICAL_STATUS), onset from a year in the text', () => {
    const text = 'MI in 2015.';
    const [c] = map(text, [aProblem(text, 'MI', MI, { assertion: 'historical', section: 'past-medical-history' })]);
    expect(statuses(c.resource as Condition)).toBe('-/confirmed/problem-list-item');
    expect((c.resource as Condition).onsetDateTime).toBe('2015');
    const [inactive] = map(text, [aProblem(text, 'MI', MI, { assertion: 'historical' })], { historicalClinicalStatus: 'inactive' });
    expect(statuses(inactive.resource as Condition)).toBe('inactive/confirmed/problem-list-item');
  });

  test('historical and affirmed in one note: one active Condition, with the history\'s onset', () => {
    const text = 'PMH: hypertension since 2010. Assessment: hypertension.';
    const found = map(text, [
      aProblem(text, 'hypertension', HTN, { assertion: 'historical' }),
      aProblem(text, 'hypertension', HTN, { span: { start: 42, end: 54 } }),
    ]);
    expect(found).toHaveLength(1);
    expect(statuses(found[0].resource as Condition)).toBe('active/confirmed/problem-list-item');
    expect((found[0].resource as Condition).onsetDateTime).toBe('2010');
    expect((found[0].resource as Condition).extension?.filter((e) => e.url.endsWith('derivation-reference'))).toHaveLength(2);
  });

  test('encounter-diagnosis: an assessment-section problem in a note tied to an encounter', () => {
    const text = 'Hypertension.';
    const [c] = map(text, [aProblem(text, 'Hypertension', HTN, { section: 'assessment' })], {}, note({ encounter: { reference: 'Encounter/e1' } }));
    expect(statuses(c.resource as Condition)).toBe('active/confirmed/encounter-diagnosis');
    expect((c.resource as Condition).encounter?.reference).toBe('Encounter/e1');
  });

  test('hypothetical: not written by default; unconfirmed without a clinical status with WRITE_HYPOTHETICAL', () => {
    const text = 'Return if chest pain develops.';
    const mention = aProblem(text, 'chest pain', CHEST_PAIN, { assertion: 'hypothetical' });
    expect(map(text, [mention])).toEqual([]);
    expect(statuses(map(text, [mention], { writeHypothetical: true })[0].resource as Condition)).toBe('-/unconfirmed/health-concern');
  });

  test('uncoded mentions are written as code.text unless WRITE_UNCODED=false', () => {
    const text = 'Zorblax syndrome.';
    const mention = aProblem(text, 'Zorblax syndrome', undefined);
    expect((map(text, [mention])[0].resource as Condition).code).toEqual({ text: 'Zorblax syndrome' });
    expect(map(text, [mention], { writeUncoded: false })).toEqual([]);
  });
});

describe('relatives', () => {
  test('family: FamilyMemberHistory with the relationship; a negated family mention is written nowhere', () => {
    const text = 'Mother with hypertension. No family history of MI.';
    const found = map(text, [
      aProblem(text, 'hypertension', HTN, { assertion: 'family', relative: 'MTH', context: { negation: 'affirmed', temporality: 'recent', experiencer: 'family', relative: 'MTH' } }),
      aProblem(text, 'MI', MI, { assertion: 'negated', context: { negation: 'negated', temporality: 'recent', experiencer: 'family' } }),
    ]);
    expect(found.map((f) => f.resource.resourceType)).toEqual(['FamilyMemberHistory']);
    expect(found[0].resource).toMatchObject({ status: 'completed', relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH' }] } });
  });

  test('someone who is neither the patient nor a relative (a roommate) gets nothing', () => {
    const text = 'Roommate has hypertension.';
    expect(map(text, [aProblem(text, 'hypertension', HTN, { assertion: 'family', context: { negation: 'affirmed', temporality: 'recent', experiencer: 'other' } })])).toEqual([]);
  });
});

describe('medications → MedicationStatement.status', () => {
  const text = 'metformin';
  const status = (overrides: Parameters<typeof aMedication>[3]): string | undefined =>
    (map(text, [aMedication(text, 'metformin', METFORMIN, overrides)], { writeHypothetical: true })[0]?.resource as MedicationStatement | undefined)?.status;

  test('the text\'s cue; negated → not-taken; possible → unknown; hypothetical → intended; historical → completed', () => {
    expect(status({})).toBe('active');
    expect(status({ status: 'stopped' })).toBe('stopped');
    expect(status({ assertion: 'negated' })).toBe('not-taken');
    expect(status({ assertion: 'possible' })).toBe('unknown');
    expect(status({ assertion: 'hypothetical' })).toBe('intended');
    expect(status({ assertion: 'historical' })).toBe('completed');
    expect(status({ assertion: 'historical', status: 'stopped' })).toBe('stopped');
    expect(status({ assertion: 'family' })).toBeUndefined();
  });
});

describe('allergies → AllergyIntolerance', () => {
  const text = 'Penicillin causes hives.';
  const allergy = (overrides: Partial<AllergyMention>): AllergyIntolerance =>
    map(text, [anAllergy(text, 'Penicillin', overrides)])[0].resource as AllergyIntolerance;
  const state = (a: AllergyIntolerance): string => `${a.clinicalStatus?.coding?.[0].code}/${a.verificationStatus?.coding?.[0].code}`;

  test('stated: active/confirmed with the reaction; possible: unconfirmed; negated: inactive/refuted (ait-1)', () => {
    const stated = allergy({ reaction: { span: { start: 18, end: 23 }, concept: undefined } });
    expect(state(stated)).toBe('active/confirmed');
    expect(stated.reaction).toEqual([{ manifestation: [{ text: 'hives' }] }]);
    expect(stated.category).toEqual(['medication']);
    expect(state(allergy({ assertion: 'possible' }))).toBe('active/unconfirmed');
    expect(state(allergy({ assertion: 'negated' }))).toBe('inactive/refuted');
    expect(map(text, [anAllergy(text, 'Penicillin', { assertion: 'hypothetical' })], { writeHypothetical: true })).toEqual([]);
  });
});

describe('measurements → Observation', () => {
  test('only what the note reports now, dated by the note; comparator kept; heights in metres become cm', () => {
    const text = 'Troponin <0.01. Height 1.75 m. Previous HR 110.';
    const troponin = { ...aMeasurement(text, 'Troponin <0.01', aConcept('loinc:10839-9', 'Troponin I'), 0.01, 'ng/mL'), category: 'laboratory' as const, comparator: '<' as const };
    const height = aMeasurement(text, 'Height 1.75 m', aConcept('loinc:8302-2', 'Body height'), 1.75, 'm');
    const past = { ...aMeasurement(text, 'HR 110', aConcept('loinc:8867-4', 'Heart rate'), 110, '/min'), assertion: 'historical' as const };
    const found = map(text, [troponin, height, past]).map((f) => f.resource as Observation);
    expect(found).toHaveLength(2);
    const byCode = Object.fromEntries(found.map((o) => [o.code?.coding?.[0].code, o]));
    expect(byCode['10839-9']).toMatchObject({ valueQuantity: { value: 0.01, comparator: '<', code: 'ng/mL' }, effectiveDateTime: '2026-01-02T10:00:00Z', meta: { profile: [PROFILES.laboratory] } });
    expect(byCode['8302-2']).toMatchObject({ valueQuantity: { value: 175, code: 'cm' }, meta: { profile: [PROFILES.vitalSigns, 'http://hl7.org/fhir/StructureDefinition/bodyheight'] } });
  });

  test('a note without a date is dated by when the server stored it', () => {
    const text = 'HR 77';
    const [hr] = map(text, [aMeasurement(text, 'HR 77', aConcept('loinc:8867-4', 'Heart rate'), 77, '/min')], {}, note({ date: undefined, lastUpdated: '2026-03-04T05:06:07Z' }));
    expect((hr.resource as Observation).effectiveDateTime).toBe('2026-03-04T05:06:07Z');
  });

  test('pulse oximetry also carries 2708-6, as FHIR\'s oxygensat profile asks', () => {
    const text = 'SpO2 97%';
    const [o] = map(text, [aMeasurement(text, 'SpO2 97%', aConcept('loinc:59408-5', 'Pulse oximetry'), 97, '%')]);
    expect((o.resource as Observation).code?.coding?.map((c) => c.code)).toEqual(['59408-5', '2708-6']);
  });
});

describe('onset as the text supports it', () => {
  const year = (text: string, word: string): number | undefined => {
    const start = text.indexOf(word);
    return findOnsetYear(text, { start, end: start + word.length }, { start: 0, end: text.length });
  };
  test('a year right after the problem, in its sentence', () => {
    expect(year('MI in 2015.', 'MI')).toBe(2015);
    expect(year('Diabetes since 2010.', 'Diabetes')).toBe(2010);
    expect(year('Stroke (2019).', 'Stroke')).toBe(2019);
    expect(year('Asthma diagnosed in 03/2008.', 'Asthma')).toBe(2008);
    // Another sentence's year is not the problem's onset.
    expect(findOnsetYear('Asthma. In 2015 moved.', { start: 0, end: 6 }, { start: 0, end: 7 })).toBeUndefined();
  });
  test('nothing vaguer, nothing far away, no doses', () => {
    expect(year('Asthma as a child.', 'Asthma')).toBeUndefined();
    expect(year('Hypertension, treated with many drugs over the years, better in 2015.', 'Hypertension')).toBeUndefined();
    expect(year('Metformin 2000 mg daily.', 'Metformin')).toBeUndefined();
  });
});
