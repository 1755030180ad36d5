/** Code system URIs Chartmine reads and writes. Reuses `@medplum/core` constants where they exist. */
import { LOINC, RXNORM, SNOMED, UCUM } from '@medplum/core';

export { LOINC, RXNORM, SNOMED, UCUM };

/** ICD-10-CM (US clinical modification); `@medplum/core`'s `ICD10` is the WHO edition, a different system. */
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
/** HL7 v3 RoleCode, for family relationships. */
export const V3_ROLE_CODE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
/** HL7 v2 table 0078 (observation interpretation) is folded into v3 ObservationInterpretation. */
export const V3_OBSERVATION_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
export const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
export const CONDITION_VER_STATUS = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
export const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const PROVENANCE_PARTICIPANT_TYPE = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type';
export const V3_DATA_OPERATION = 'http://terminology.hl7.org/CodeSystem/v3-DataOperation';
export const TIMING_ABBREVIATION = 'http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation';
/** CDC vaccine codes (CVX), used by Synthea's Immunization resources. Public domain. */
export const CVX = 'http://hl7.org/fhir/sid/cvx';
