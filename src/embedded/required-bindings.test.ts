import type { Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureFhirDefinitions } from '../fhir/definitions.js';
import { requiredBindingIssues } from './required-bindings.js';

beforeAll(() => ensureFhirDefinitions());

const expressions = (r: Record<string, unknown>): string[] =>
  requiredBindingIssues(r as unknown as Resource).flatMap((i) => i.expression ?? []);
const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const V3_ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** A Condition with the given clinical status code and identifier use. */
const aCondition = (clinicalStatus: string, identifierUse: string): Record<string, unknown> => ({
  resourceType: 'Condition',
  subject: { reference: 'Patient/1' },
  clinicalStatus: { coding: [{ system: CONDITION_CLINICAL, code: clinicalStatus }] },
  identifier: [{ use: identifierUse, value: '1' }],
});

describe('requiredBindingIssues', () => {
  it('accepts codes of value sets that list them, of whole FHIR code systems and of datatypes', () => {
    expect(expressions(aCondition('active', 'usual'))).toEqual([]);
    const observation = { resourceType: 'Observation', status: 'final', code: { text: 'x' } };
    expect(expressions({ ...observation, valueQuantity: { value: 1, comparator: '<' } })).toEqual([]);
    const note = { resourceType: 'DocumentReference', status: 'current', docStatus: 'final', content: [] };
    expect(expressions(note)).toEqual([]);
  });

  it('names the element of every code outside its required value set', () => {
    expect(expressions({ resourceType: 'DocumentReference', status: 'ZZ', docStatus: 'ZZ', content: [] })).toEqual([
      'DocumentReference.status',
      'DocumentReference.docStatus',
    ]);
    expect(expressions(aCondition('ZZ', 'ZZ'))).toEqual(['Condition.clinicalStatus', 'Condition.identifier.use']);
    const observation = { resourceType: 'Observation', status: 'ZZ', code: { text: 'x' } };
    expect(expressions({ ...observation, valueQuantity: { value: 1, comparator: 'ZZ' } })).toEqual([
      'Observation.status',
      'Observation.valueQuantity.comparator',
    ]);
  });

  it('checks a binding to a value set built from v3 codes (Encounter.class is extensible: not checked)', () => {
    const encounter = { resourceType: 'Encounter', status: 'finished', class: { system: V3_ACT_CODE, code: 'ZZ' } };
    expect(expressions(encounter)).toEqual([]);
    expect(expressions({ ...encounter, status: 'ZZ' })).toEqual(['Encounter.status']);
  });
});
