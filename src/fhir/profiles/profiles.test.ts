/** The conformance resources: in step with their sources, valid FHIR themselves, and strict where they promise. */
import { beforeAll, describe, expect, test } from 'vitest';
import { validateResource } from '@medplum/core';
import type { Condition, Extension, Observation, Provenance, Resource } from '@medplum/fhirtypes';
import { findDrift } from '../../cli/profiles.command.js';
import { ASSERTION_EXTENSION_URL, CONFIDENCE_EXTENSION_URL, DERIVATION_REFERENCE_URL, PROFILES, TARGETS_PENDING_TAG } from '../naming.js';
import { buildConformanceFiles } from './conformance.js';
import { DEFAULT_PROFILES_DIR, ensureChartmineProfiles, readConformanceFiles } from './load-profiles.js';
import { describeIssues, errorsOf, validateAgainstProfiles, validateWithProfile } from './validate.js';

beforeAll(() => {
  ensureChartmineProfiles();
});

const errors = (r: Resource): string[] => describeIssues(errorsOf(validateAgainstProfiles(r)));

/** A Condition as the mapping writes it for an affirmed problem. */
function aCondition(overrides: Partial<Condition> = {}, assertion = 'affirmed'): Condition {
  return {
    resourceType: 'Condition',
    meta: {
      profile: [PROFILES.condition],
      tag: [
        { system: 'https://chartmine.dev/fhir/CodeSystem/chartmine', code: 'nlp-derived' },
        { system: 'https://chartmine.dev/fhir/CodeSystem/source-document', code: 'n1' },
        { system: 'https://chartmine.dev/fhir/CodeSystem/pipeline-version', code: 'p1' },
      ],
    },
    extension: [
      {
        url: DERIVATION_REFERENCE_URL,
        extension: [
          { url: 'reference', valueReference: { reference: 'DocumentReference/n1/_history/1' } },
          { url: 'path', valueString: 'DocumentReference.content[0].attachment' },
          { url: 'offset', valueInteger: 0 },
          { url: 'length', valueInteger: 12 },
        ],
      },
      { url: ASSERTION_EXTENSION_URL, valueCode: assertion },
      { url: CONFIDENCE_EXTENSION_URL, valueDecimal: 0.9 },
      { url: 'https://chartmine.dev/fhir/StructureDefinition/nlp-pipeline-version', valueString: 'p1' },
    ],
    identifier: [{ system: 'https://chartmine.dev/fhir/sid/finding', value: 'n1-abc' }],
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
    code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }], text: 'Hypertension' },
    subject: { reference: 'Patient/p1' },
    evidence: [{ detail: [{ reference: 'DocumentReference/n1' }] }],
    ...overrides,
  };
}

const refuted = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'refuted' }] };

describe('fhir-profiles/', () => {
  test('the checked-in JSON is what the sources compile to (run `chartmine profiles build` after changing a source)', () => {
    expect(findDrift(DEFAULT_PROFILES_DIR)).toEqual([]);
  });

  test('every R4 conformance resource is itself valid FHIR R4; the R4B/R5 SubscriptionTopic names its trigger', () => {
    const files = readConformanceFiles();
    expect(files.size).toBe(buildConformanceFiles().length);
    for (const [file, resource] of files) {
      if (resource.resourceType === 'SubscriptionTopic') {
        expect(resource).toMatchObject({ url: 'https://chartmine.dev/fhir/SubscriptionTopic/clinical-note', resourceTrigger: [{ resource: 'http://hl7.org/fhir/StructureDefinition/DocumentReference' }] });
        continue;
      }
      expect(() => validateResource(resource as unknown as Resource), file).not.toThrow();
    }
  });

  test('every StructureDefinition has a snapshot whose first element is its type, and a differential', () => {
    const { profiles } = ensureChartmineProfiles();
    for (const url of [...Object.values(PROFILES), ASSERTION_EXTENSION_URL, CONFIDENCE_EXTENSION_URL, DERIVATION_REFERENCE_URL]) {
      const sd = profiles.get(url);
      expect(sd?.snapshot?.element?.[0].path, url).toBe(sd?.type);
      expect(sd?.differential?.element?.length, url).toBeGreaterThan(0);
    }
  });
});

describe('the profiles hold what the mapping table promises', () => {
  test('a Condition as the mapping writes it validates', () => {
    expect(errors(aCondition())).toEqual([]);
  });

  test('negated ⇔ refuted, and a refuted Condition has no clinical status (cm-con-1, cm-con-2)', () => {
    expect(errors(aCondition({ verificationStatus: refuted, clinicalStatus: undefined }, 'negated'))).toEqual([]);
    expect(errors(aCondition({}, 'negated')).join()).toContain('cm-con-2');
    expect(errors(aCondition({ verificationStatus: refuted }, 'negated')).join()).toContain('cm-con-1');
  });

  test('possible ⇒ provisional or differential; affirmed ⇒ a clinical status; never a relative (cm-con-3..5)', () => {
    expect(errors(aCondition({}, 'possible')).join()).toContain('cm-con-3');
    expect(errors(aCondition({ clinicalStatus: undefined })).join()).toContain('cm-con-4');
    expect(errors(aCondition({}, 'family')).join()).toContain('cm-con-5');
  });

  test('retracted (entered-in-error) findings validate whatever their assertion said', () => {
    const eie = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'entered-in-error' }] };
    expect(errors(aCondition({ verificationStatus: eie, clinicalStatus: undefined }, 'possible'))).toEqual([]);
  });

  test('the finding contract: profile claimed, a derivation-reference, one identifier, the tags', () => {
    const c = aCondition();
    const condition = ensureChartmineProfiles().profiles.get(PROFILES.condition);
    expect(() => validateResource({ ...c, meta: { ...c.meta, profile: [] } }, { profile: condition })).toThrow(/cm-find-1/);
    expect(errors({ ...c, extension: c.extension?.filter((e) => e.url !== DERIVATION_REFERENCE_URL) }).join()).toContain("slice 'derivation'");
    expect(errors({ ...c, identifier: [] }).join()).toMatch(/cm-find-3|identifier/);
    expect(errors({ ...c, meta: { ...c.meta, tag: [] } }).join()).toContain('cm-find-2');
  });

  test('extensions are checked against their definitions: value type, range, codes', () => {
    const withExtension = (url: string, ext: Extension): Condition => {
      const c = aCondition();
      return { ...c, extension: [...(c.extension ?? []).filter((e) => e.url !== url), ext] };
    };
    expect(errors(withExtension(CONFIDENCE_EXTENSION_URL, { url: CONFIDENCE_EXTENSION_URL, valueDecimal: 1.5 })).join()).toContain('cm-conf-1');
    expect(errors(withExtension(CONFIDENCE_EXTENSION_URL, { url: CONFIDENCE_EXTENSION_URL, valueString: '0.5' })).join()).toContain('valueString not allowed');
    expect(errors(withExtension(ASSERTION_EXTENSION_URL, { url: ASSERTION_EXTENSION_URL, valueCode: 'maybe' })).join()).toContain('cm-assert-1');
    const badSpan: Extension = { url: DERIVATION_REFERENCE_URL, extension: [{ url: 'reference', valueReference: { reference: 'DocumentReference/n1' } }, { url: 'length', valueInteger: 3 }] };
    expect(errors(withExtension(DERIVATION_REFERENCE_URL, badSpan)).join()).toMatch(/der-1|cm-find-4/);
  });

  test('a Provenance needs versioned targets unless it is tagged as pending (cm-prov-2)', () => {
    const provenance: Provenance = {
      resourceType: 'Provenance',
      meta: {
        profile: [PROFILES.provenance],
        tag: [
          { system: 'https://chartmine.dev/fhir/CodeSystem/source-document', code: 'n1' },
          { system: 'https://chartmine.dev/fhir/CodeSystem/pipeline-version', code: 'p1' },
          { system: 'https://chartmine.dev/fhir/CodeSystem/run', code: 'n1-v1-pp1' },
        ],
      },
      target: [{ reference: 'Condition/c1/_history/2' }],
      recorded: '2026-11-01T10:00:00Z',
      activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE' }] },
      agent: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'assembler' }] }, who: { reference: 'Device/d1' } }],
      entity: [{ role: 'source', what: { reference: 'DocumentReference/n1/_history/1' } }],
    };
    expect(errors(provenance)).toEqual([]);
    const unversioned = { ...provenance, target: [{ reference: 'Condition/c1' }] };
    expect(errors(unversioned).join()).toContain('cm-prov-2');
    expect(errors({ ...unversioned, meta: { ...provenance.meta, tag: [...(provenance.meta?.tag ?? []), TARGETS_PENDING_TAG] } })).toEqual([]);
  });

  test('a blood pressure needs both components in mm[Hg] (cm-vs-bp, for FHIR\'s bp profile)', () => {
    const c = aCondition();
    const bp: Observation = {
      resourceType: 'Observation',
      meta: { ...c.meta, profile: [PROFILES.vitalSigns] },
      extension: c.extension,
      identifier: c.identifier,
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2026-11-01T10:00:00Z',
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 151, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
        { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 93, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      ],
      derivedFrom: [{ reference: 'DocumentReference/n1' }],
    };
    expect(errors(bp)).toEqual([]);
    expect(errors({ ...bp, component: bp.component?.slice(0, 1) }).join()).toContain('cm-vs-bp');
  });

  test('a heart rate also claims and meets FHIR\'s own heartrate profile', () => {
    const c = aCondition();
    const hr: Observation = {
      resourceType: 'Observation',
      meta: { ...c.meta, profile: [PROFILES.vitalSigns, 'http://hl7.org/fhir/StructureDefinition/heartrate'] },
      extension: c.extension,
      identifier: c.identifier,
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2026-11-01T10:00:00Z',
      valueQuantity: { value: 77, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      derivedFrom: [{ reference: 'DocumentReference/n1' }],
    };
    expect(errors(hr)).toEqual([]);
    expect(errors({ ...hr, valueQuantity: { value: 77, unit: 'bpm', system: 'http://unitsofmeasure.org', code: 'bpm' } }).join()).toContain('cm-vs-units');
  });
});

describe('validating with a cached profile schema', () => {
  test('gives the same issues as @medplum/core\'s validateResource(resource, { profile })', () => {
    const { profiles } = ensureChartmineProfiles();
    const condition = profiles.get(PROFILES.condition);
    const lab = profiles.get(PROFILES.laboratory);
    const c = aCondition();
    const cases: Resource[] = [
      c,
      aCondition({}, 'negated'),
      aCondition({ verificationStatus: refuted }, 'negated'),
      aCondition({ clinicalStatus: undefined }),
      { ...c, identifier: [] },
      { ...c, extension: c.extension?.filter((e) => e.url !== DERIVATION_REFERENCE_URL) },
      { ...c, code: undefined } as unknown as Condition,
    ];
    const normal = (r: Resource, profile: typeof condition): string[] => {
      try {
        return describeIssues(validateResource(r, { profile }));
      } catch (err: unknown) {
        return describeIssues((err as { outcome: { issue: [] } }).outcome.issue);
      }
    };
    for (const r of cases) {
      for (const profile of [condition, lab]) {
        expect(describeIssues(validateWithProfile(r, profile as NonNullable<typeof condition>)).sort()).toEqual(normal(r, profile).sort());
      }
    }
  });
});
