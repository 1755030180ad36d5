/**
 * Profiles of the resources Chartmine derives from notes (Observations in `observation-profiles.ts`). Each one
 * carries the common finding contract (`finding-contract.ts`) and the invariants that encode the assertion → FHIR
 * table of README.md ("What is written"): change both together.
 */
import { PROFILES } from '../naming.js';
import { ASSERTION, findingContract, linksToNote, RETRACTED_BY_STATUS } from './finding-contract.js';
import { FEEDBACK_SENTIMENT_PROFILE } from './feedback-profile.js';
import { LABORATORY_PROFILE, MEASURE_PROFILE, VITAL_SIGNS_PROFILE } from './observation-profiles.js';
import { el, invariant, type ProfileSource } from './profile-source.js';

const CONDITION_VER_STATUS = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const US_CORE_CONDITION_CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/condition-category';
const ALLERGY_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';

const conditionVerification = (code: string): string =>
  `verificationStatus.coding.where(system='${CONDITION_VER_STATUS}' and code='${code}').exists()`;
const allergyVerification = (code: string): string =>
  `verificationStatus.coding.where(system='${ALLERGY_VERIFICATION}' and code='${code}').exists()`;

export const CONDITION_PROFILE: ProfileSource = {
  id: 'chartmine-condition',
  name: 'ChartmineCondition',
  title: 'Chartmine NLP-derived Condition',
  description:
    'A problem, symptom or finding the note states about the patient: present (affirmed, possibly historical), hedged ' +
    '(possible: provisional, or differential when listed with alternatives), absent (negated: refuted), or from the ' +
    'history with the clinical status the text supports. Aligned with US Core Condition Problems and Health Concerns ' +
    'and Condition Encounter Diagnosis (category, code, subject, statuses); see fhir-profiles/README.md for the differences.',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Condition',
  type: 'Condition',
  kind: 'resource',
  elements: [
    ...findingContract('Condition', PROFILES.condition),
    el('Condition', {
      constraint: [
        invariant('cm-con-1', 'A refuted condition has no clinical status', `${conditionVerification('refuted')} implies clinicalStatus.empty()`),
        invariant(
          'cm-con-2',
          'Negated in the text ⇔ refuted (unless retracted)',
          `${conditionVerification('entered-in-error')} or ((${ASSERTION} = 'negated') = ${conditionVerification('refuted')})`
        ),
        invariant(
          'cm-con-3',
          'Possible in the text ⇒ provisional or differential (unless retracted)',
          `${conditionVerification('entered-in-error')} or (${ASSERTION} = 'possible') = ` +
            `(${conditionVerification('provisional')} or ${conditionVerification('differential')})`
        ),
        invariant(
          'cm-con-4',
          'Affirmed or possible ⇒ a clinical status (unless retracted)',
          `${conditionVerification('entered-in-error')} or ((${ASSERTION} = 'affirmed' or ${ASSERTION} = 'possible') implies clinicalStatus.exists())`
        ),
        invariant(
          'cm-con-5',
          "A relative's problem is never the patient's Condition",
          `${ASSERTION} != 'family'`
        ),
        invariant(
          'cm-con-6',
          'Category is problem-list-item, encounter-diagnosis (condition-category) or health-concern (US Core)',
          `category.coding.where((system='${CONDITION_CATEGORY}' and (code='problem-list-item' or code='encounter-diagnosis')) or ` +
            `(system='${US_CORE_CONDITION_CATEGORY}' and code='health-concern')).exists()`
        ),
        invariant('cm-con-7', 'Evidence points at the note', linksToNote('evidence.detail')),
      ],
    }),
    el('Condition.clinicalStatus', { mustSupport: true }),
    el('Condition.verificationStatus', { min: 1, mustSupport: true }),
    el('Condition.category', { min: 1, mustSupport: true }),
    el('Condition.code', {
      min: 1,
      mustSupport: true,
      constraint: [invariant('cm-code-1', 'Coded, or at least the text', 'coding.exists() or text.exists()')],
    }),
    el('Condition.subject', { mustSupport: true, type: [{ code: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/Patient'] }] }),
    el('Condition.onset[x]', { mustSupport: true }),
    el('Condition.recordedDate', { mustSupport: true }),
    el('Condition.evidence', { min: 1 }),
    el('Condition.evidence.detail', { min: 1 }),
  ],
};

export const MEDICATION_STATEMENT_PROFILE: ProfileSource = {
  id: 'chartmine-medication-statement',
  name: 'ChartmineMedicationStatement',
  title: 'Chartmine NLP-derived MedicationStatement',
  description:
    'A medication the note says the patient takes, took, will take, stopped or does not take, with the dosage the text ' +
    'gives. The status follows the text\'s cues (see README.md); the medication is a CodeableConcept (RxNorm, or text only).',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/MedicationStatement',
  type: 'MedicationStatement',
  kind: 'resource',
  elements: [
    ...findingContract('MedicationStatement', PROFILES.medicationStatement),
    el('MedicationStatement', {
      constraint: [
        invariant('cm-ms-1', 'Negated ⇒ not-taken (unless retracted)', `${RETRACTED_BY_STATUS} or ((${ASSERTION} = 'negated') implies status = 'not-taken')`),
        invariant('cm-ms-2', 'Possible ⇒ status unknown (unless retracted)', `${RETRACTED_BY_STATUS} or ((${ASSERTION} = 'possible') implies status = 'unknown')`),
        invariant('cm-ms-3', 'Hypothetical ⇒ intended (unless retracted)', `${RETRACTED_BY_STATUS} or ((${ASSERTION} = 'hypothetical') implies status = 'intended')`),
        invariant('cm-ms-4', "Never a relative's medication", `${ASSERTION} != 'family'`),
        invariant('cm-ms-5', 'derivedFrom points at the note', linksToNote('derivedFrom')),
      ],
    }),
    el('MedicationStatement.status', { mustSupport: true }),
    el('MedicationStatement.medication[x]', {
      type: [{ code: 'CodeableConcept' }],
      mustSupport: true,
      constraint: [invariant('cm-code-1', 'Coded, or at least the text', 'coding.exists() or text.exists()')],
    }),
    el('MedicationStatement.subject', { type: [{ code: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/Patient'] }] }),
    el('MedicationStatement.dateAsserted', { mustSupport: true }),
    el('MedicationStatement.derivedFrom', { min: 1, mustSupport: true }),
    el('MedicationStatement.dosage', { mustSupport: true }),
  ],
};

export const FAMILY_MEMBER_HISTORY_PROFILE: ProfileSource = {
  id: 'chartmine-family-member-history',
  name: 'ChartmineFamilyMemberHistory',
  title: 'Chartmine NLP-derived family member history',
  description:
    'The conditions the note attributes to one relative, the relationship coded in HL7 v3 RoleCode (FAMMEMB when the ' +
    'note does not say which relative). Never written as the patient\'s Condition.',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/FamilyMemberHistory',
  type: 'FamilyMemberHistory',
  kind: 'resource',
  elements: [
    ...findingContract('FamilyMemberHistory', PROFILES.familyMemberHistory),
    el('FamilyMemberHistory', {
      constraint: [
        invariant('cm-fmh-1', 'Only family assertions', `${ASSERTION} = 'family'`),
        invariant(
          'cm-fmh-2',
          'Relationship coded in v3 RoleCode',
          "relationship.coding.where(system='http://terminology.hl7.org/CodeSystem/v3-RoleCode' and code.exists()).exists()"
        ),
        invariant('cm-fmh-3', 'completed, or retracted', "status = 'completed' or status = 'entered-in-error'"),
      ],
    }),
    el('FamilyMemberHistory.relationship', { mustSupport: true }),
    el('FamilyMemberHistory.condition', { min: 1, mustSupport: true }),
  ],
};

export const ALLERGY_INTOLERANCE_PROFILE: ProfileSource = {
  id: 'chartmine-allergy-intolerance',
  name: 'ChartmineAllergyIntolerance',
  title: 'Chartmine NLP-derived AllergyIntolerance',
  description:
    'An allergy or intolerance the note states (with the reaction when it is stated), or refutes ("no allergy to '
    + 'penicillin"). Aligned with US Core AllergyIntolerance (clinicalStatus, verificationStatus, code, patient).',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/AllergyIntolerance',
  type: 'AllergyIntolerance',
  kind: 'resource',
  elements: [
    ...findingContract('AllergyIntolerance', PROFILES.allergyIntolerance),
    el('AllergyIntolerance', {
      constraint: [
        invariant(
          'cm-ai-1',
          'Negated ⇔ refuted, and a refuted allergy is inactive (ait-1 asks for a clinical status)',
          `${allergyVerification('entered-in-error')} or ((${ASSERTION} = 'negated') = ${allergyVerification('refuted')} and ` +
            `(${allergyVerification('refuted')} implies clinicalStatus.coding.where(system='${ALLERGY_CLINICAL}' and code='inactive').exists()))`
        ),
        invariant(
          'cm-ai-2',
          'Possible ⇒ unconfirmed',
          `${allergyVerification('entered-in-error')} or ((${ASSERTION} = 'possible') implies ${allergyVerification('unconfirmed')})`
        ),
        invariant('cm-ai-3', "Never a relative's allergy", `${ASSERTION} != 'family'`),
      ],
    }),
    el('AllergyIntolerance.clinicalStatus', { mustSupport: true }),
    el('AllergyIntolerance.verificationStatus', { min: 1, mustSupport: true }),
    el('AllergyIntolerance.code', {
      min: 1,
      mustSupport: true,
      constraint: [invariant('cm-code-1', 'Coded, or at least the text', 'coding.exists() or text.exists()')],
    }),
    el('AllergyIntolerance.patient', { mustSupport: true }),
    el('AllergyIntolerance.reaction', { mustSupport: true }),
  ],
};

export const PROCEDURE_PROFILE: ProfileSource = {
  id: 'chartmine-procedure',
  name: 'ChartmineProcedure',
  title: 'Chartmine NLP-derived Procedure',
  description:
    'A surgery or intervention the note says the patient had (completed, with performedDateTime or performedString ' +
    'when the note states when) or will have (preparation: a plan the note states). Never a procedure the note denies, ' +
    'hedges or puts in an if-clause, nor a relative\'s. Aligned with US Core Procedure (status, code, subject).',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Procedure',
  type: 'Procedure',
  kind: 'resource',
  elements: [
    ...findingContract('Procedure', PROFILES.procedure),
    el('Procedure', {
      constraint: [
        invariant(
          'cm-proc-1',
          'completed or preparation, or retracted',
          "status = 'completed' or status = 'preparation' or status = 'entered-in-error'"
        ),
        invariant(
          'cm-proc-2',
          'Done ⇒ affirmed or historical; planned ⇒ affirmed or hypothetical',
          `${RETRACTED_BY_STATUS} or (status = 'completed' implies (${ASSERTION} = 'affirmed' or ${ASSERTION} = 'historical')) and ` +
            `(status = 'preparation' implies (${ASSERTION} = 'affirmed' or ${ASSERTION} = 'hypothetical'))`
        ),
        invariant(
          'cm-proc-3',
          'A planned procedure has no performed time',
          "status = 'preparation' implies (performedDateTime.empty() and performedString.empty() and performedPeriod.empty())"
        ),
      ],
    }),
    el('Procedure.status', { mustSupport: true }),
    el('Procedure.code', {
      min: 1,
      mustSupport: true,
      constraint: [invariant('cm-code-1', 'Coded, or at least the text', 'coding.exists() or text.exists()')],
    }),
    el('Procedure.subject', { mustSupport: true, type: [{ code: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/Patient'] }] }),
    el('Procedure.performed[x]', { mustSupport: true }),
  ],
};

/** Every derived-resource profile, in file order. */
export const DERIVED_PROFILE_SOURCES: readonly ProfileSource[] = [
  CONDITION_PROFILE,
  MEDICATION_STATEMENT_PROFILE,
  VITAL_SIGNS_PROFILE,
  LABORATORY_PROFILE,
  MEASURE_PROFILE,
  FAMILY_MEMBER_HISTORY_PROFILE,
  ALLERGY_INTOLERANCE_PROFILE,
  PROCEDURE_PROFILE,
  FEEDBACK_SENTIMENT_PROFILE,
];
