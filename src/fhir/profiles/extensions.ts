/** Extension definitions Chartmine uses: its own three, and a validation copy of HL7's `derivation-reference`. */
import type { StructureDefinition } from '@medplum/fhirtypes';
import {
  ASSERTION_EXTENSION_URL,
  ASSERTION_VALUE_SET,
  CONFIDENCE_EXTENSION_URL,
  DERIVATION_REFERENCE_URL,
  DERIVED_RESOURCE_TYPES,
  PIPELINE_VERSION_EXTENSION_URL,
} from '../naming.js';
import { REVIEW_EXTENSION_URL } from '../../review/review-codes.js';
import { el, invariant, type ProfileSource } from './profile-source.js';

const EXTENSION_BASE = 'http://hl7.org/fhir/StructureDefinition/Extension';

/** Every derived resource type (and nothing else) may carry Chartmine's finding extensions. */
const ON_DERIVED_RESOURCES: StructureDefinition['context'] = DERIVED_RESOURCE_TYPES.map((type) => ({ type: 'element', expression: type }));

/** `nlp-assertion`: what the text asserted (ConText), from which the FHIR statuses were derived. */
export const ASSERTION_EXTENSION: ProfileSource = {
  id: 'nlp-assertion',
  name: 'NlpAssertion',
  title: 'NLP assertion',
  description:
    'The assertion the pipeline made about the text span(s) this resource was derived from (ConText: affirmed, negated, ' +
    'possible, historical, family, hypothetical). The FHIR statuses of the resource follow from it by the mapping ' +
    'table in README.md; the extension keeps the original so consumers can re-derive or audit them.',
  baseDefinition: EXTENSION_BASE,
  type: 'Extension',
  kind: 'complex-type',
  context: ON_DERIVED_RESOURCES,
  elements: [
    el('Extension', { short: 'NLP assertion (ConText)', definition: 'What the source text asserts about the finding.' }),
    el('Extension.extension', { max: '0' }),
    el('Extension.url', { fixedUri: ASSERTION_EXTENSION_URL }),
    el('Extension.value[x]', {
      min: 1,
      type: [{ code: 'code' }],
      binding: { strength: 'required', valueSet: ASSERTION_VALUE_SET },
      constraint: [
        invariant(
          'cm-assert-1',
          'The assertion is one of Chartmine\'s six ConText categories',
          "$this in ('affirmed' | 'negated' | 'possible' | 'historical' | 'family' | 'hypothetical')"
        ),
      ],
    }),
  ],
};

/** `nlp-confidence`: 0..1. */
export const CONFIDENCE_EXTENSION: ProfileSource = {
  id: 'nlp-confidence',
  name: 'NlpConfidence',
  title: 'NLP confidence',
  description:
    'How sure the pipeline is that the span(s) denote this concept with this assertion, from 0 (guess) to 1 (certain); ' +
    'the highest confidence of the mentions merged into the resource, rounded to three decimals. Not a clinical certainty.',
  baseDefinition: EXTENSION_BASE,
  type: 'Extension',
  kind: 'complex-type',
  context: ON_DERIVED_RESOURCES,
  elements: [
    el('Extension', {
      short: 'NLP confidence 0..1',
      definition: 'The pipeline\'s confidence in the finding.',
      constraint: [invariant('cm-conf-1', 'Confidence lies between 0 and 1', 'value.exists() implies (value >= 0 and value <= 1)')],
    }),
    el('Extension.extension', { max: '0' }),
    el('Extension.url', { fixedUri: CONFIDENCE_EXTENSION_URL }),
    el('Extension.value[x]', { min: 1, type: [{ code: 'decimal' }] }),
  ],
};

/** `nlp-pipeline-version`: the pipeline version that last wrote the resource. */
export const PIPELINE_VERSION_EXTENSION: ProfileSource = {
  id: 'nlp-pipeline-version',
  name: 'NlpPipelineVersion',
  title: 'NLP pipeline version',
  description:
    'The version of the Chartmine pipeline that last wrote this resource (the `pipeline` version of the Device in the ' +
    'Provenance). Also a meta.tag for searching; kept as an extension too because tags are not resource content and ' +
    'may be dropped when data is copied between servers.',
  baseDefinition: EXTENSION_BASE,
  type: 'Extension',
  kind: 'complex-type',
  context: ON_DERIVED_RESOURCES,
  elements: [
    el('Extension', { short: 'Pipeline version that wrote this', definition: 'Chartmine pipeline version.' }),
    el('Extension.extension', { max: '0' }),
    el('Extension.url', { fixedUri: PIPELINE_VERSION_EXTENSION_URL }),
    el('Extension.value[x]', { min: 1, type: [{ code: 'string' }] }),
  ],
};

/** `nlp-review`: a reviewer's decision on the finding (README "Reviewing findings"); its Provenance says who and when. */
export const REVIEW_EXTENSION: ProfileSource = {
  id: 'nlp-review',
  name: 'NlpReview',
  title: 'NLP finding review',
  description:
    'What a reviewer decided about this finding on the /review page: accept, reject or correct. A finding carrying it ' +
    '(and the `reviewed` tag) is never updated or retracted by re-analysis. The decision\'s Provenance (agent `verifier`) ' +
    'names the reviewer and the version reviewed.',
  baseDefinition: EXTENSION_BASE,
  type: 'Extension',
  kind: 'complex-type',
  context: ON_DERIVED_RESOURCES,
  elements: [
    el('Extension', { short: 'Reviewer decision', definition: 'accept, reject or correct.' }),
    el('Extension.extension', { max: '0' }),
    el('Extension.url', { fixedUri: REVIEW_EXTENSION_URL }),
    el('Extension.value[x]', {
      min: 1,
      type: [{ code: 'code' }],
      constraint: [invariant('cm-review-1', 'The decision is accept, reject or correct', "$this in ('accept' | 'reject' | 'correct')")],
    }),
  ],
};

/**
 * HL7's `derivation-reference` (FHIR Extensions Pack 5.2.0, usable in R4), rewritten from its published definition
 * so the validator can check Chartmine's use of it. Chartmine does not own it: the canonical URL, name and content
 * are HL7's; only this copy's wording is ours.
 */
export const DERIVATION_REFERENCE_EXTENSION: ProfileSource = {
  id: 'derivation-reference',
  url: DERIVATION_REFERENCE_URL,
  version: '5.2.0',
  publisher: 'HL7 International / FHIR Infrastructure',
  name: 'ResourceDerivationReference',
  title: 'Resource Derivation Reference',
  description:
    'Points to the place in a source text (a resource, the element holding the text, a character offset and length) ' +
    'from which the information in this resource or element was extracted. Copy of the HL7 definition, kept by ' +
    'Chartmine for validation.',
  baseDefinition: EXTENSION_BASE,
  type: 'Extension',
  kind: 'complex-type',
  context: [
    { type: 'element', expression: 'Resource' },
    { type: 'element', expression: 'Element' },
  ],
  elements: [
    el('Extension', {
      short: 'Where in a source text this came from',
      definition: 'References a location within a source text from which this information was extracted.',
      constraint: [
        {
          key: 'der-1',
          severity: 'error',
          human: 'Cannot have length if offset is missing',
          expression: "extension.where(url='length').exists() implies extension.where(url='offset').exists()",
          source: DERIVATION_REFERENCE_URL,
        },
      ],
    }),
    el('Extension.extension', { slicing: { discriminator: [{ type: 'value', path: 'url' }], rules: 'open', ordered: false } }),
    ...subExtension('reference', 'Reference', 'The resource holding the source text.'),
    ...subExtension('path', 'string', 'The element (FHIRPath) of that resource that holds the text.'),
    ...subExtension('offset', 'integer', 'Where the text starts (Chartmine: UTF-16 code units into the decoded text).'),
    ...subExtension('length', 'integer', 'How long it is, in the same unit as offset.'),
    el('Extension.url', { fixedUri: DERIVATION_REFERENCE_URL }),
    el('Extension.value[x]', { max: '0' }),
  ],
};

function subExtension(name: string, type: string, definition: string): ProfileSource['elements'] {
  return [
    el(`Extension.extension:${name}`, { min: 0, max: '1', short: definition, definition }),
    el(`Extension.extension:${name}.extension`, { max: '0' }),
    el(`Extension.extension:${name}.url`, { fixedUri: name }),
    el(`Extension.extension:${name}.value[x]`, { min: 1, type: [{ code: type }] }),
  ];
}

/** Every extension definition, in file order. */
export const EXTENSION_SOURCES: readonly ProfileSource[] = [
  ASSERTION_EXTENSION,
  CONFIDENCE_EXTENSION,
  PIPELINE_VERSION_EXTENSION,
  REVIEW_EXTENSION,
  DERIVATION_REFERENCE_EXTENSION,
];
