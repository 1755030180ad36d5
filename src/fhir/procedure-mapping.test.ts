/** Issue 11: Procedure (done or planned) and the family/allergy rows of the README table, validated against the profiles. */
import { describe, expect, test } from 'vitest';
import type { AllergyIntolerance, Bundle, FamilyMemberHistory, Procedure, Resource } from '@medplum/fhirtypes';
import { aConcept, aProblem, aResult } from '../../test/builders/mentions.js';
import type { Mention, ProcedureMention } from '../nlp/types.js';
import { buildSoftwareInfo } from '../provenance/software.js';
import { DEFAULT_MAPPING_OPTIONS, type NoteVersion } from './finding-types.js';
import { mapFindings } from './map-findings.js';
import { PROFILES } from './naming.js';
import { buildEmbeddedStoreCapabilityStatement, buildServiceCapabilityStatement } from './profiles/capability-statements.js';
import { describeIssues, errorsOf, validateAgainstProfiles } from './profiles/validate.js';
import { isRetracted, planWriteBack, retract } from './write-back.js';

const software = buildSoftwareInfo('0.0.0-test', { name: 'test', version: '1', components: [] });
const options = { ...DEFAULT_MAPPING_OPTIONS, pipelineVersion: software.pipelineVersion };
const CABG = aConcept('sct:232717009', 'Coronary artery bypass graft', 'procedure');
const COLONOSCOPY = aConcept('sct:73761001', 'Colonoscopy', 'procedure');
const errors = (r: Resource): string[] => describeIssues(errorsOf(validateAgainstProfiles(r)));

function note(versionId = '1'): NoteVersion {
  return { id: 'doc1', versionId, subject: { reference: 'Patient/p1' }, attachmentPath: 'DocumentReference.content[0].attachment', status: 'current', date: '2026-01-02' };
}

function aProcedure(text: string, word: string, concept = CABG, overrides: Partial<ProcedureMention> = {}): ProcedureMention {
  const start = text.indexOf(word);
  return {
    kind: 'procedure',
    id: `procedure-${start}`,
    span: { start, end: start + word.length },
    sentence: 0,
    section: undefined,
    concept,
    assertion: 'historical',
    confidence: 0.9,
    sources: ['dictionary'],
    status: 'completed',
    ...overrides,
  };
}

const map = (text: string, ...mentions: Mention[]): Resource[] => mapFindings(note(), text, aResult(...mentions), options).map((f) => f.resource);

describe('procedures → Procedure', () => {
  test('done: completed, SNOMED CT code, performedDateTime from the stated date; valid against chartmine-procedure', () => {
    const text = 's/p CABG x3 2009.';
    const [p] = map(text, aProcedure(text, 'CABG', CABG, { performed: { kind: 'date', value: '2009', span: { start: 12, end: 16 } } })) as Procedure[];
    expect(p).toMatchObject({
      resourceType: 'Procedure',
      status: 'completed',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '232717009' }] },
      subject: { reference: 'Patient/p1' },
      performedDateTime: '2009',
      meta: { profile: [PROFILES.procedure] },
    });
    expect(errors(p)).toEqual([]);
  });

  test('a phrase becomes performedString; a date after the note is not a performed date', () => {
    const text = 'CABG as a child; CABG 2031.';
    const phrase = aProcedure(text, 'CABG', CABG, { performed: { kind: 'phrase', span: { start: 5, end: 15 } } });
    const [p] = map(text, phrase) as Procedure[];
    expect(p.performedString).toBe('as a child');
    const future = { ...aProcedure(text, 'CABG', CABG), span: { start: 17, end: 21 }, performed: { kind: 'date' as const, value: '2031', span: { start: 22, end: 26 } } };
    expect((map(text, future) as Procedure[])[0].performedDateTime).toBeUndefined();
  });

  test('planned: preparation, no performed time; denied, hedged, if-clause and relatives\' procedures are not written', () => {
    const text = 'Plan: colonoscopy. No prior colonoscopy. Return if you need colonoscopy.';
    const planned = aProcedure(text, 'colonoscopy', COLONOSCOPY, { assertion: 'hypothetical', status: 'planned' });
    const [p] = map(text, planned) as Procedure[];
    expect(p.status).toBe('preparation');
    expect(errors(p)).toEqual([]);
    for (const assertion of ['negated', 'possible', 'family'] as const) {
      expect(map(text, aProcedure(text, 'colonoscopy', COLONOSCOPY, { assertion }))).toEqual([]);
    }
    expect(map(text, aProcedure(text, 'colonoscopy', COLONOSCOPY, { assertion: 'hypothetical' }))).toEqual([]);
  });

  test('done and planned again in one note: one Procedure, the done one, with both spans', () => {
    const text = 's/p colonoscopy 2019. Plan: repeat colonoscopy in 5 years.';
    const done = aProcedure(text, 'colonoscopy', COLONOSCOPY, { performed: { kind: 'date', value: '2019', span: { start: 16, end: 20 } } });
    const again = { ...aProcedure(text, 'colonoscopy', COLONOSCOPY, { assertion: 'affirmed', status: 'planned' }), span: { start: 35, end: 46 }, id: 'procedure-35' };
    const found = map(text, done, again) as Procedure[];
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ status: 'completed', performedDateTime: '2019' });
    expect(found[0].extension?.filter((e) => e.url.endsWith('derivation-reference'))).toHaveLength(2);
    expect(errors(found[0])).toEqual([]);
  });

  test('the profile refuses a planned procedure with a performed time and a completed one the text denied', () => {
    const text = 's/p CABG 2009.';
    const [p] = map(text, aProcedure(text, 'CABG')) as Procedure[];
    const planned = { ...p, extension: p.extension?.map((e) => (e.url.endsWith('nlp-assertion') ? { ...e, valueCode: 'hypothetical' } : e)) };
    expect(errors({ ...planned, status: 'preparation' } as Procedure)).toEqual([]);
    expect(errors({ ...planned, status: 'preparation', performedDateTime: '2009' } as Procedure).join()).toContain('cm-proc-3');
    const negated = { ...p, extension: p.extension?.map((e) => (e.url.endsWith('nlp-assertion') ? { ...e, valueCode: 'negated' } : e)) };
    expect(errors(negated).join()).toContain('cm-proc-2');
  });

  test('a Procedure the note no longer supports is retracted (entered-in-error) like the others, and stays valid', () => {
    const text = 's/p CABG 2009.';
    const desired = mapFindings(note(), text, aResult(aProcedure(text, 'CABG')), options);
    const first = planWriteBack({ note: note(), desired, existing: [], software, device: { reference: 'Device/d1' }, recorded: '2026-01-02T00:00:00Z' });
    expect(first.created).toBe(1);
    const stored = { ...(first.bundles[0].entry?.[0].resource as Procedure), id: 'pr1', meta: { ...desired[0].resource.meta, versionId: '1' } };
    const again = planWriteBack({ note: note(), desired, existing: [stored], software, device: { reference: 'Device/d1' }, recorded: '2026-01-02T00:00:00Z' });
    expect(again.bundles).toEqual([]);
    const gone = planWriteBack({ note: note('2'), desired: [], existing: [stored], software, device: { reference: 'Device/d1' }, recorded: '2026-01-03T00:00:00Z' });
    expect(gone.retracted).toBe(1);
    const put = (gone.bundles[0] as Bundle).entry?.[0];
    expect(put?.request).toMatchObject({ method: 'PUT', url: 'Procedure/pr1', ifMatch: 'W/"1"' });
    expect((put?.resource as Procedure).status).toBe('entered-in-error');
    expect(isRetracted(retract(stored))).toBe(true);
    expect(errors(retract(stored))).toEqual([]);
  });

  test('both CapabilityStatements list Procedure with its profile', () => {
    for (const cs of [buildServiceCapabilityStatement(), buildEmbeddedStoreCapabilityStatement()]) {
      const resources = (cs.rest ?? []).flatMap((r) => r.resource ?? []);
      expect(resources.find((r) => r.type === 'Procedure')?.supportedProfile, cs.id).toContain(PROFILES.procedure);
    }
  });
});

describe('family history and allergies', () => {
  test('a relative\'s condition with the age stated: FamilyMemberHistory with onsetAge, valid', () => {
    const text = 'Father with myocardial infarction at 60.';
    const mi = aProblem(text, 'myocardial infarction', aConcept('sct:22298006', 'Myocardial infarction'), { assertion: 'family', relative: 'FTH', context: { negation: 'affirmed', temporality: 'recent', experiencer: 'family', relative: 'FTH' } });
    const [f] = map(text, mi) as FamilyMemberHistory[];
    expect(f.relationship?.coding?.[0].code).toBe('FTH');
    expect(f.condition?.[0].onsetAge).toEqual({ value: 60, unit: 'a', system: 'http://unitsofmeasure.org', code: 'a' });
    expect(errors(f)).toEqual([]);
  });

  test('an uncoded allergen is written with its text and an uncoded reaction as manifestation text; valid', () => {
    const text = 'Allergies: adhesive tape - blisters';
    const tape: Mention = {
      kind: 'allergy', id: 'allergy-11', span: { start: 11, end: 24 }, sentence: 0, section: 'allergies', concept: undefined,
      assertion: 'historical', confidence: 0.7, sources: ['rule'], reaction: { span: { start: 27, end: 35 }, concept: undefined },
    };
    const [a] = map(text, tape) as AllergyIntolerance[];
    expect(a).toMatchObject({ code: { text: 'adhesive tape' }, reaction: [{ manifestation: [{ text: 'blisters' }] }], verificationStatus: { coding: [{ code: 'confirmed' }] } });
    expect(a.category).toBeUndefined();
    expect(errors(a)).toEqual([]);
  });
});
