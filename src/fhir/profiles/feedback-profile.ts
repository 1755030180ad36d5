/**
 * The patient-feedback sentiment Observation: one per free-text feedback item (a QuestionnaireResponse answer, a
 * patient Communication payload, a feedback DocumentReference). Shares the finding identifier, tags and
 * derivation-reference of the finding contract, but points at the feedback resource rather than a note and carries
 * no assertion (sentiment is not an assertion about a problem).
 */
import { FEEDBACK_CONCEPTS } from '../feedback-codes.js';
import {
  CHARTMINE_CODES,
  CONFIDENCE_EXTENSION_URL,
  DERIVATION_REFERENCE_URL,
  FINDING_IDENTIFIER_SYSTEM,
  PIPELINE_VERSION_EXTENSION_URL,
  PIPELINE_VERSION_TAG_SYSTEM,
  PROFILES,
  SOURCE_DOCUMENT_TAG_SYSTEM,
} from '../naming.js';
import { el, EXTENSION_SLICING, extensionSlice, invariant, type ProfileSource } from './profile-source.js';

const SOURCE_REF = "(reference.startsWith('QuestionnaireResponse/') or reference.startsWith('Communication/') or reference.startsWith('DocumentReference/'))";
const LABELS = [FEEDBACK_CONCEPTS.negative, FEEDBACK_CONCEPTS.neutral, FEEDBACK_CONCEPTS.positive].map((c) => `code='${c.code}'`).join(' or ');
const SCORES = [FEEDBACK_CONCEPTS.scoreNegative, FEEDBACK_CONCEPTS.scoreNeutral, FEEDBACK_CONCEPTS.scorePositive];

export const FEEDBACK_SENTIMENT_PROFILE: ProfileSource = {
  id: 'chartmine-feedback-sentiment',
  name: 'ChartmineFeedbackSentiment',
  title: 'Chartmine patient-feedback sentiment',
  description:
    'The sentiment of one free-text patient-feedback item (survey answer, portal message, feedback document): category ' +
    'survey, code feedback-sentiment, value negative / neutral / positive (Chartmine codes), one component per class ' +
    'with the classifier\'s score (0..1), components for the medications the item names (RxNorm; also contained ' +
    'Medications the Observation focuses on) and the side effects or symptoms it reports (SNOMED CT), a ' +
    'derivation-reference with the item\'s span, and derivedFrom the feedback resource.',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Observation',
  type: 'Observation',
  kind: 'resource',
  elements: [
    el('Observation', {
      constraint: [
        invariant('cm-fb-1', 'Claims this profile in meta.profile', `meta.profile.where($this = '${PROFILES.feedbackSentiment}').exists()`),
        invariant(
          'cm-fb-2',
          'Tagged as NLP-derived, with the source and the pipeline version',
          `meta.tag.where(system='${CHARTMINE_CODES}' and code='nlp-derived').exists() and ` +
            `meta.tag.where(system='${SOURCE_DOCUMENT_TAG_SYSTEM}').count() = 1 and meta.tag.where(system='${PIPELINE_VERSION_TAG_SYSTEM}').count() = 1`
        ),
        invariant('cm-fb-3', 'Exactly one Chartmine finding identifier', `identifier.where(system='${FINDING_IDENTIFIER_SYSTEM}' and value.exists()).count() = 1`),
        invariant('cm-fb-4', 'Category survey', "category.coding.where(system='http://terminology.hl7.org/CodeSystem/observation-category' and code='survey').exists()"),
        invariant('cm-fb-5', 'Code feedback-sentiment', `code.coding.where(system='${CHARTMINE_CODES}' and code='${FEEDBACK_CONCEPTS.feedbackSentiment.code}').exists()`),
        invariant(
          'cm-fb-6',
          'Value negative, neutral or positive (or retracted)',
          `status = 'entered-in-error' or (value as CodeableConcept).coding.where(system='${CHARTMINE_CODES}' and (${LABELS})).exists()`
        ),
        invariant(
          'cm-fb-7',
          'One score component per class, between 0 and 1',
          SCORES.map(
            (c) =>
              `component.where(code.coding.where(system='${CHARTMINE_CODES}' and code='${c.code}').exists() and ` +
              '(value as Quantity).value >= 0 and (value as Quantity).value <= 1).count() = 1'
          ).join(' and ')
        ),
        invariant('cm-fb-8', 'derivedFrom points at the feedback resource', `derivedFrom.where${SOURCE_REF}.exists()`),
        invariant(
          'cm-fb-9',
          'Every derivation-reference points at the feedback resource with offset and length',
          `descendants().where(url='${DERIVATION_REFERENCE_URL}').all(` +
            `extension.where(url='reference').value.where${SOURCE_REF}.exists() and ` +
            "extension.where(url='offset').exists() and extension.where(url='length').exists())"
        ),
      ],
    }),
    el('Observation.meta', { min: 1 }),
    el('Observation.extension', { slicing: EXTENSION_SLICING, min: 3 }),
    extensionSlice('Observation', 'derivation', DERIVATION_REFERENCE_URL, 1, '*'),
    extensionSlice('Observation', 'confidence', CONFIDENCE_EXTENSION_URL, 1, '1'),
    extensionSlice('Observation', 'pipelineVersion', PIPELINE_VERSION_EXTENSION_URL, 1, '1'),
    el('Observation.status', { mustSupport: true }),
    el('Observation.category', { min: 1, mustSupport: true }),
    el('Observation.subject', { min: 1, mustSupport: true }),
    el('Observation.focus', { mustSupport: true }),
    el('Observation.value[x]', { min: 1, mustSupport: true, type: [{ code: 'CodeableConcept' }] }),
    el('Observation.derivedFrom', { min: 1, mustSupport: true }),
    el('Observation.component', { min: 3, mustSupport: true }),
  ],
};
