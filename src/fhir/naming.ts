/**
 * Chartmine's own canonical URLs: identifier systems, tag systems, extensions and profiles. One place, because
 * these strings are a contract with every consumer that searches for our data.
 */

/** Canonical base of everything Chartmine defines (profiles, code systems, identifier systems). */
export const CHARTMINE_CANONICAL = 'https://chartmine.dev/fhir';

/** Identifier system of every derived resource: the value is stable for (document, finding). */
export const FINDING_IDENTIFIER_SYSTEM = `${CHARTMINE_CANONICAL}/sid/finding`;
/** Tag system on each write-back Provenance; the code is the run `<document>-v<version>-p<pipeline>`. */
export const RUN_TAG_SYSTEM = `${CHARTMINE_CANONICAL}/CodeSystem/run`;
/** Identifier system of the Device that represents a pipeline version. */
export const DEVICE_IDENTIFIER_SYSTEM = `${CHARTMINE_CANONICAL}/sid/pipeline`;

/** Chartmine's CodeSystem (tags and other codes). */
export const CHARTMINE_CODES = `${CHARTMINE_CANONICAL}/CodeSystem/chartmine`;
/** Tag code on everything Chartmine derived: `_tag=https://chartmine.dev/fhir/CodeSystem/chartmine|nlp-derived`. */
export const NLP_DERIVED_TAG = { system: CHARTMINE_CODES, code: 'nlp-derived', display: 'Derived by NLP from a note' };
/** Tag system whose code is the id of the source DocumentReference: finds everything derived from one note. */
export const SOURCE_DOCUMENT_TAG_SYSTEM = `${CHARTMINE_CANONICAL}/CodeSystem/source-document`;
/** Tag system whose code is the pipeline version that last wrote the resource. */
export const PIPELINE_VERSION_TAG_SYSTEM = `${CHARTMINE_CANONICAL}/CodeSystem/pipeline-version`;

/** Standard extension: where in which document a resource came from (offset/length in UTF-16 code units). */
export const DERIVATION_REFERENCE_URL = 'http://hl7.org/fhir/StructureDefinition/derivation-reference';
/** Chartmine extension: the ConText assertion behind the resource. */
export const ASSERTION_EXTENSION_URL = `${CHARTMINE_CANONICAL}/StructureDefinition/nlp-assertion`;
/** Chartmine extension: the pipeline's confidence in the finding (0..1). */
export const CONFIDENCE_EXTENSION_URL = `${CHARTMINE_CANONICAL}/StructureDefinition/nlp-confidence`;
/** Chartmine extension: the pipeline version that last wrote the resource (content, unlike the tag). */
export const PIPELINE_VERSION_EXTENSION_URL = `${CHARTMINE_CANONICAL}/StructureDefinition/nlp-pipeline-version`;

/** Chartmine's CodeSystem of ConText assertions (affirmed, negated, possible, historical, family, hypothetical). */
export const ASSERTION_CODE_SYSTEM = `${CHARTMINE_CANONICAL}/CodeSystem/nlp-assertion`;
/** The ValueSet the assertion extension is bound to. */
export const ASSERTION_VALUE_SET = `${CHARTMINE_CANONICAL}/ValueSet/nlp-assertion`;

/**
 * Tag on a Provenance whose targets are not yet versioned: the transaction wrote it with the targets it created
 * (their versions are known only from the server's answer); the worker then rewrites it with versioned targets and
 * drops the tag. A Provenance left with the tag (the worker died in between) is repaired on the note's next run.
 */
export const TARGETS_PENDING_TAG = {
  system: CHARTMINE_CODES,
  code: 'provenance-targets-pending',
  display: 'Provenance targets not yet versioned',
};

/** Canonical URL of a Chartmine StructureDefinition. */
export const profileUrl = (id: string): string => `${CHARTMINE_CANONICAL}/StructureDefinition/${id}`;

/** The profiles Chartmine's resources claim in `meta.profile`. */
export const PROFILES = {
  condition: profileUrl('chartmine-condition'),
  medicationStatement: profileUrl('chartmine-medication-statement'),
  vitalSigns: profileUrl('chartmine-observation-vital-signs'),
  laboratory: profileUrl('chartmine-observation-lab'),
  measure: profileUrl('chartmine-observation-measure'),
  feedbackSentiment: profileUrl('chartmine-feedback-sentiment'),
  familyMemberHistory: profileUrl('chartmine-family-member-history'),
  allergyIntolerance: profileUrl('chartmine-allergy-intolerance'),
  procedure: profileUrl('chartmine-procedure'),
  device: profileUrl('chartmine-pipeline-device'),
  provenance: profileUrl('chartmine-provenance'),
  auditEvent: profileUrl('chartmine-audit-event'),
} as const;

/**
 * FHIR R4's own vital-signs profiles, by LOINC code: R4 says a vital sign SHALL conform to them. Blood pressure
 * (`bp`, 85354-9) is not claimed: `@medplum/core` 4.5.2 misreads its nested component slices (SystolicBP and
 * SBPCode become siblings) and would reject every valid blood pressure; Chartmine's vital-signs profile carries the
 * `bp` rules as invariant cm-vs-bp instead.
 */
export const CORE_VITAL_SIGN_PROFILES: Readonly<Record<string, string>> = {
  '8867-4': 'http://hl7.org/fhir/StructureDefinition/heartrate',
  '9279-1': 'http://hl7.org/fhir/StructureDefinition/resprate',
  '8310-5': 'http://hl7.org/fhir/StructureDefinition/bodytemp',
  '59408-5': 'http://hl7.org/fhir/StructureDefinition/oxygensat',
  '2708-6': 'http://hl7.org/fhir/StructureDefinition/oxygensat',
  '29463-7': 'http://hl7.org/fhir/StructureDefinition/bodyweight',
  '8302-2': 'http://hl7.org/fhir/StructureDefinition/bodyheight',
  '39156-5': 'http://hl7.org/fhir/StructureDefinition/bmi',
};

/** Canonical URL of the SubscriptionTopic "clinical note created or updated". */
export const NOTE_TOPIC_URL = `${CHARTMINE_CANONICAL}/SubscriptionTopic/clinical-note`;
/** Canonical URLs of the CapabilityStatements. */
export const CAPABILITY_URLS = {
  service: `${CHARTMINE_CANONICAL}/CapabilityStatement/chartmine`,
  embeddedStore: `${CHARTMINE_CANONICAL}/CapabilityStatement/chartmine-embedded-store`,
} as const;

/** The resource types Chartmine writes as findings. */
export const DERIVED_RESOURCE_TYPES = [
  'Condition',
  'MedicationStatement',
  'Observation',
  'FamilyMemberHistory',
  'AllergyIntolerance',
  'Procedure',
] as const;

/** One of the derived resource types. */
export type DerivedResourceType = (typeof DERIVED_RESOURCE_TYPES)[number];
