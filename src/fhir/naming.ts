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

/** The resource types Chartmine writes as findings. */
export const DERIVED_RESOURCE_TYPES = [
  'Condition',
  'MedicationStatement',
  'Observation',
  'FamilyMemberHistory',
  'AllergyIntolerance',
] as const;

/** One of the derived resource types. */
export type DerivedResourceType = (typeof DERIVED_RESOURCE_TYPES)[number];
