/**
 * Profiles of the resources Chartmine derives from notes. Each one carries the common finding contract (identifier,
 * tags, the three Chartmine extensions, at least one `derivation-reference`, the core link to the note) and the
 * invariants that encode the assertion → FHIR table of README.md ("What is written"): change both together.
 */
import {
  ASSERTION_EXTENSION_URL,
  CHARTMINE_CODES,
  CONFIDENCE_EXTENSION_URL,
  DERIVATION_REFERENCE_URL,
  FINDING_IDENTIFIER_SYSTEM,
  PIPELINE_VERSION_EXTENSION_URL,
  PIPELINE_VERSION_TAG_SYSTEM,
  PROFILES,
  SOURCE_DOCUMENT_TAG_SYSTEM,
} from '../naming.js';
import type { DiffElement } from './snapshot.js';
import { el, EXTENSION_SLICING, extensionSlice, invariant, type ProfileSource } from './profile-source.js';

const CONDITION_VER_STATUS = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const US_CORE_CONDITION_CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/condition-category';
const ALLERGY_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

/** FHIRPath: the resource's assertion code. */
const ASSERTION = `extension.where(url='${ASSERTION_EXTENSION_URL}').value`;

/** FHIRPath: the resource has been retracted (entered-in-error) by a later version of its note. */
const RETRACTED_BY_STATUS = "status = 'entered-in-error'";
const conditionVerification = (code: string): string =>
  `verificationStatus.coding.where(system='${CONDITION_VER_STATUS}' and code='${code}').exists()`;
const allergyVerification = (code: string): string =>
  `verificationStatus.coding.where(system='${ALLERGY_VERIFICATION}' and code='${code}').exists()`;

/**
 * The finding contract every derived resource shares.
 * @param type - the resource type.
 * @param profile - the profile's own URL (the resource must claim it).
 * @returns differential elements.
 */
function findingContract(type: string, profile: string): DiffElement[] {
  return [
    el(type, {
      constraint: [
        invariant('cm-find-1', 'Claims this profile in meta.profile', `meta.profile.where($this = '${profile}').exists()`),
        invariant(
          'cm-find-2',
          'Tagged as NLP-derived, with the source document and the pipeline version',
          `meta.tag.where(system='${CHARTMINE_CODES}' and code='nlp-derived').exists() and ` +
            `meta.tag.where(system='${SOURCE_DOCUMENT_TAG_SYSTEM}').count() = 1 and ` +
            `meta.tag.where(system='${PIPELINE_VERSION_TAG_SYSTEM}').count() = 1`
        ),
        invariant(
          'cm-find-3',
          'Exactly one Chartmine finding identifier (stable for note and finding)',
          `identifier.where(system='${FINDING_IDENTIFIER_SYSTEM}' and value.exists()).count() = 1`
        ),
        invariant(
          'cm-find-4',
          'Every derivation-reference points at a DocumentReference with offset and length',
          `extension.where(url='${DERIVATION_REFERENCE_URL}').all(` +
            "extension.where(url='reference').value.reference.startsWith('DocumentReference/') and " +
            "extension.where(url='offset').exists() and extension.where(url='length').exists())"
        ),
      ],
    }),
    el(`${type}.meta`, { min: 1 }),
    el(`${type}.extension`, { slicing: EXTENSION_SLICING, min: 4 }),
    extensionSlice(type, 'derivation', DERIVATION_REFERENCE_URL, 1, '*'),
    extensionSlice(type, 'assertion', ASSERTION_EXTENSION_URL, 1, '1'),
    extensionSlice(type, 'confidence', CONFIDENCE_EXTENSION_URL, 1, '1'),
    extensionSlice(type, 'pipelineVersion', PIPELINE_VERSION_EXTENSION_URL, 1, '1'),
    el(`${type}.identifier`, { min: 1, mustSupport: true }),
  ];
}

/**
 * The unit codes FHIR R4's specific vital-sign profiles allow, by LOINC code. `@medplum/core` does not check the
 * `valueQuantity` slices that carry them, so the vital-signs profile repeats them as an invariant.
 */
const VITAL_UNITS: readonly [string, readonly string[]][] = [
  ['8867-4', ['/min']],
  ['9279-1', ['/min']],
  ['8310-5', ['Cel', '[degF]']],
  ['2708-6', ['%']],
  ['29463-7', ['kg', 'g', '[lb_av]']],
  ['8302-2', ['cm', '[in_i]']],
  ['39156-5', ['kg/m2']],
];

/** FHIRPath: a CodeableConcept at `path` has this LOINC code. */
const loinc = (path: string, code: string): string => `${path}.coding.where(system='http://loinc.org' and code='${code}').exists()`;

/** FHIRPath: the core link to the note (a DocumentReference reference) exists at `path`. */
const linksToNote = (path: string): string => `${path}.where(reference.startsWith('DocumentReference/')).exists()`;

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

/** Observation parts both Observation profiles share. */
function observationCommon(profile: string): DiffElement[] {
  return [
    ...findingContract('Observation', profile),
    el('Observation', {
      constraint: [
        invariant('cm-obs-1', 'Only measurements the note reports (affirmed)', `${ASSERTION} = 'affirmed'`),
        invariant('cm-obs-2', 'A time precise to the day', "(effective as dateTime).toString().length() >= 10"),
        invariant('cm-obs-3', 'derivedFrom points at the note', linksToNote('derivedFrom')),
        invariant(
          'cm-obs-4',
          'Quantities are UCUM-coded',
          "(value as Quantity).empty() or ((value as Quantity).system = 'http://unitsofmeasure.org' and (value as Quantity).code.exists())"
        ),
      ],
    }),
    el('Observation.derivedFrom', { min: 1, mustSupport: true }),
  ];
}

export const VITAL_SIGNS_PROFILE: ProfileSource = {
  id: 'chartmine-observation-vital-signs',
  name: 'ChartmineObservationVitalSigns',
  title: 'Chartmine NLP-derived vital sign',
  description:
    'A vital sign stated in the note. Derived from FHIR R4\'s vitalsigns profile; each resource also claims the specific ' +
    'R4 vital-sign profile for its LOINC code (bp, heartrate, resprate, bodytemp, oxygensat, bodyweight, bodyheight, bmi). ' +
    'Blood pressure is the 85354-9 panel with systolic (8480-6) and diastolic (8462-4) components.',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/vitalsigns',
  type: 'Observation',
  kind: 'resource',
  elements: [
    ...observationCommon(PROFILES.vitalSigns),
    el('Observation', {
      constraint: [
        invariant(
          'cm-vs-bp',
          'Blood pressure (85354-9) as FHIR\'s bp profile has it: no value, one systolic (8480-6) and one diastolic (8462-4) component in mm[Hg]',
          `${loinc('code', '85354-9')} implies (value.empty() and ` +
            `component.where(${loinc('code', '8480-6')}).count() = 1 and component.where(${loinc('code', '8462-4')}).count() = 1 and ` +
            "component.all((value as Quantity).system = 'http://unitsofmeasure.org' and (value as Quantity).code = 'mm[Hg]'))"
        ),
        invariant(
          'cm-vs-units',
          'Units as FHIR\'s vital-sign profiles bind them (heartrate, resprate, bodytemp, oxygensat, bodyweight, bodyheight, bmi)',
          VITAL_UNITS.map(([code, units]) => `(${loinc('code', code)} implies (value as Quantity).code in (${units.map((u) => `'${u}'`).join(' | ')}))`).join(
            ' and '
          )
        ),
      ],
    }),
  ],
};

export const LABORATORY_PROFILE: ProfileSource = {
  id: 'chartmine-observation-lab',
  name: 'ChartmineObservationLab',
  title: 'Chartmine NLP-derived laboratory result',
  description:
    'A laboratory result stated in the note, LOINC-coded, with its value in UCUM (and the comparator when written, ' +
    'e.g. "troponin <0.01"). Aligned with US Core Laboratory Result Observation (category laboratory, code, subject, ' +
    'effective time, value or data-absent reason).',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Observation',
  type: 'Observation',
  kind: 'resource',
  elements: [
    ...observationCommon(PROFILES.laboratory),
    el('Observation', {
      constraint: [
        invariant(
          'cm-lab-1',
          'A value, components or a data-absent reason (US Core us-core-2)',
          'component.exists() or hasMember.exists() or value.exists() or dataAbsentReason.exists()'
        ),
        invariant('cm-lab-2', 'LOINC-coded', "code.coding.where(system='http://loinc.org').exists()"),
      ],
    }),
    el('Observation.status', { mustSupport: true }),
    el('Observation.category', {
      min: 1,
      mustSupport: true,
      slicing: {
        discriminator: [
          { type: 'value', path: 'coding.code' },
          { type: 'value', path: 'coding.system' },
        ],
        ordered: false,
        rules: 'open',
      },
    }),
    el('Observation.category:Laboratory', { min: 1, max: '1', mustSupport: true }),
    el('Observation.category:Laboratory.coding', { min: 1, mustSupport: true }),
    el('Observation.category:Laboratory.coding.system', { min: 1, fixedUri: OBSERVATION_CATEGORY }),
    el('Observation.category:Laboratory.coding.code', { min: 1, fixedCode: 'laboratory' }),
    el('Observation.code', { mustSupport: true }),
    el('Observation.subject', {
      min: 1,
      mustSupport: true,
      type: [{ code: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/Patient'] }],
    }),
    el('Observation.effective[x]', { min: 1, mustSupport: true, type: [{ code: 'dateTime' }, { code: 'Period' }] }),
    el('Observation.value[x]', { mustSupport: true, type: [{ code: 'Quantity' }] }),
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

/** Every derived-resource profile, in file order. */
export const DERIVED_PROFILE_SOURCES: readonly ProfileSource[] = [
  CONDITION_PROFILE,
  MEDICATION_STATEMENT_PROFILE,
  VITAL_SIGNS_PROFILE,
  LABORATORY_PROFILE,
  FAMILY_MEMBER_HISTORY_PROFILE,
  ALLERGY_INTOLERANCE_PROFILE,
];
