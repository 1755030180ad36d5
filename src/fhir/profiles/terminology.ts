/** Chartmine's CodeSystems and ValueSets: its own codes, the assertion categories, and the tag systems. */
import { FEEDBACK_CONCEPTS } from '../feedback-codes.js';
import type { CodeSystem, CodeSystemConcept, ValueSet } from '@medplum/fhirtypes';
import {
  ASSERTION_CODE_SYSTEM,
  ASSERTION_VALUE_SET,
  CHARTMINE_CODES,
  NLP_DERIVED_TAG,
  PIPELINE_VERSION_TAG_SYSTEM,
  RUN_TAG_SYSTEM,
  SOURCE_DOCUMENT_TAG_SYSTEM,
  TARGETS_PENDING_TAG,
} from '../naming.js';
import { canonicalMetadata } from './profile-source.js';

/** The codes of `https://chartmine.dev/fhir/CodeSystem/chartmine`, for code that writes them. */
export const CHARTMINE_CONCEPTS = {
  nlpDerived: { code: NLP_DERIVED_TAG.code, display: NLP_DERIVED_TAG.display },
  targetsPending: { code: TARGETS_PENDING_TAG.code, display: TARGETS_PENDING_TAG.display },
  nlpPipeline: { code: 'nlp-pipeline', display: 'Clinical NLP pipeline' },
  software: { code: 'software', display: 'Chartmine software version' },
  pipeline: { code: 'pipeline', display: 'Pipeline version' },
  component: { code: 'component', display: 'Pipeline component version' },
  analyzeNote: { code: 'analyze-note', display: 'Analyze a clinical note' },
  reviewed: { code: 'reviewed', display: 'Reviewed by a person' },
  reviewDecision: { code: 'review-decision', display: 'Reviewer decision' },
  reviewAccept: { code: 'review-accept', display: 'Reviewer accepted the finding' },
  reviewReject: { code: 'review-reject', display: 'Reviewer rejected the finding' },
  reviewCorrect: { code: 'review-correct', display: 'Reviewer corrected the finding' },
} as const;

const DEFINITIONS: Record<keyof typeof CHARTMINE_CONCEPTS, string> = {
  nlpDerived: 'Meta tag on every resource Chartmine derived from a note: select (or exclude) NLP-derived data with _tag.',
  targetsPending:
    'Meta tag on a Provenance written in a write-back transaction whose targets are not yet versioned; removed when the ' +
    'worker stamps the versions the server assigned.',
  nlpPipeline: 'Device type: a version of Chartmine\'s NLP pipeline (software), the agent of its Provenance and AuditEvents.',
  software: 'Device.version type: the version of the Chartmine software.',
  pipeline: 'Device.version type: the pipeline version (changes whenever output for the same note may change).',
  component: 'Device.version type: one pipeline component (rules, lexicon, terminology index, model) and its version.',
  analyzeNote: 'AuditEvent subtype: one processing run of a note version (analysis, diff and write-back).',
  reviewed: 'Meta tag on a finding a reviewer decided on (/review): re-analysis never updates or retracts it.',
  reviewDecision: 'Meta tag on the Provenance of a reviewer decision: Provenance?_tag=...|review-decision lists them all.',
  reviewAccept: 'Provenance.activity: a reviewer accepted the finding as written (Conditions become confirmed).',
  reviewReject: 'Provenance.activity: a reviewer rejected the finding (it is marked entered-in-error).',
  reviewCorrect: 'Provenance.activity: a reviewer corrected the finding\'s code and/or assertion.',
};

function codeSystem(id: string, url: string, name: string, title: string, description: string, concept?: CodeSystemConcept[]): CodeSystem {
  return {
    resourceType: 'CodeSystem',
    ...canonicalMetadata({ id, url, name, title, description }),
    caseSensitive: true,
    content: concept ? 'complete' : 'not-present',
    ...(concept ? { count: concept.length, concept } : {}),
  };
}

/** `error-<code>` concepts: the reason of a failed job (OperationOutcome detail) and AuditEvent error codes. */
const ERROR_CODES: readonly [string, string][] = [
  ['invalid-notification', 'The notification could not be parsed'],
  ['unauthorized', 'Missing or invalid credentials'],
  ['unsupported-content', 'The note has no attachment Chartmine can read'],
  ['document-too-large', 'The note is larger than MAX_DOCUMENT_BYTES'],
  ['missing-subject', 'The note has no subject'],
  ['payload-too-large', 'The request body is too large'],
  ['upstream-unavailable', 'The FHIR server or Redis was unavailable (retried)'],
  ['upstream-rejected', 'The FHIR server refused a request'],
  ['write-back-rejected', 'The FHIR server rejected the write-back as invalid'],
  ['document-busy', 'Another run holds the note'],
  ['model-failure', 'The NLP pipeline failed'],
  ['config', 'Invalid configuration'],
  ['unexpected', 'An unexpected error'],
];

/**
 * Builds the CodeSystems and ValueSets.
 * @returns the terminology resources, in file order.
 */
export function buildTerminologyResources(): (CodeSystem | ValueSet)[] {
  const chartmine = codeSystem(
    'chartmine',
    CHARTMINE_CODES,
    'ChartmineCodes',
    'Chartmine codes',
    'Codes Chartmine writes: tags, the Device type and version types, the AuditEvent subtype and failure reasons.',
    [
      ...(Object.keys(CHARTMINE_CONCEPTS) as (keyof typeof CHARTMINE_CONCEPTS)[]).map((k) => ({ ...CHARTMINE_CONCEPTS[k], definition: DEFINITIONS[k] })),
      ...ERROR_CODES.map(([code, display]) => ({ code: `error-${code}`, display, definition: `Processing failed: ${display.toLowerCase()}.` })),
      ...Object.values(FEEDBACK_CONCEPTS).map((f) => ({ code: f.code, display: f.display, definition: f.definition })),
    ]
  );
  const assertion = codeSystem(
    'nlp-assertion',
    ASSERTION_CODE_SYSTEM,
    'NlpAssertion',
    'NLP assertion (ConText)',
    'What a note asserts about a mention, after ConText (negation, temporality, experiencer) collapsed into one category.',
    [
      { code: 'affirmed', display: 'Affirmed', definition: 'The text states the finding is present for the patient now.' },
      { code: 'negated', display: 'Negated', definition: 'The text states the finding is absent ("denies chest pain").' },
      { code: 'possible', display: 'Possible', definition: 'The text hedges ("possible pneumonia", "rule out MI").' },
      { code: 'historical', display: 'Historical', definition: 'The text places the finding in the patient\'s past ("history of MI", Past Medical History).' },
      { code: 'family', display: 'Family', definition: 'The finding belongs to a relative ("mother with diabetes").' },
      { code: 'hypothetical', display: 'Hypothetical', definition: 'The finding is conditional or future ("return if chest pain develops").' },
    ]
  );
  const assertionValueSet: ValueSet = {
    resourceType: 'ValueSet',
    ...canonicalMetadata({
      id: 'nlp-assertion',
      url: ASSERTION_VALUE_SET,
      name: 'NlpAssertion',
      title: 'NLP assertion (ConText)',
      description: 'All codes of the NLP assertion CodeSystem.',
    }),
    compose: { include: [{ system: ASSERTION_CODE_SYSTEM }] },
  };
  return [
    chartmine,
    assertion,
    assertionValueSet,
    codeSystem(
      'source-document',
      SOURCE_DOCUMENT_TAG_SYSTEM,
      'ChartmineSourceDocument',
      'Chartmine source document (tag)',
      'Tag system: the code is the id of the DocumentReference a resource was derived from. Finds everything derived ' +
        'from one note, in all its versions: `_tag=' + SOURCE_DOCUMENT_TAG_SYSTEM + '|<id>`.'
    ),
    codeSystem(
      'pipeline-version',
      PIPELINE_VERSION_TAG_SYSTEM,
      'ChartminePipelineVersion',
      'Chartmine pipeline version (tag)',
      'Tag system: the code is the pipeline version that last wrote the resource (also on Provenance and Device).'
    ),
    codeSystem(
      'run',
      RUN_TAG_SYSTEM,
      'ChartmineRun',
      'Chartmine run (tag)',
      'Tag system on Provenance: the code is `<document id>-v<version>-p<pipeline version>`, one note version through one pipeline version.'
    ),
  ];
}
