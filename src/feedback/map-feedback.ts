/**
 * Patient feedback → FHIR: one Observation per feedback item (profile `chartmine-feedback-sentiment`) with the
 * polarity as `valueCodeableConcept`, one score component per class, the medications the item names (RxNorm, as
 * components and as contained Medications the Observation's `focus` points at) and the symptoms it reports (SNOMED
 * CT: side effects when a medication is named). Spans are offsets into the item's text. `derivedFrom` names the
 * source unversioned (like notes); the derivation-reference extensions and the Provenance name the version. Pure.
 */
import type { CodeableConcept, Coding, Extension, Medication, Observation, ObservationComponent, Reference } from '@medplum/fhirtypes';
import { FEEDBACK_CONCEPTS, type FeedbackConcept } from '../fhir/feedback-codes.js';
import type { DesiredFinding, NoteVersion } from '../fhir/finding-types.js';
import { findingIdentifier, toFindingIdentifier } from '../fhir/map-findings.js';
import {
  CHARTMINE_CODES,
  CONFIDENCE_EXTENSION_URL,
  DERIVATION_REFERENCE_URL,
  NLP_DERIVED_TAG,
  PIPELINE_VERSION_EXTENSION_URL,
  PIPELINE_VERSION_TAG_SYSTEM,
  PROFILES,
  SOURCE_DOCUMENT_TAG_SYSTEM,
} from '../fhir/naming.js';
import type { Mention, Span } from '../nlp/types.js';
import { OBSERVATION_CATEGORY, UCUM } from '../terminology/systems.js';
import type { FeedbackItem } from './feedback-items.js';
import type { SentimentLabel, SentimentResult, SeverityLabel } from './sentiment.js';

/** One classified item and what the NLP pipeline found in it. */
export interface ClassifiedItem {
  readonly item: FeedbackItem;
  readonly result: SentimentResult;
  /** Mentions of the note pipeline over the item's text (spans into `item.text`). */
  readonly mentions: readonly Mention[];
}

/** The source version the items came from (`source` set for non-DocumentReference sources). */
export type FeedbackVersion = NoteVersion & { readonly effective?: string };

const LABEL_CONCEPT: Record<SentimentLabel, FeedbackConcept> = {
  negative: FEEDBACK_CONCEPTS.negative,
  neutral: FEEDBACK_CONCEPTS.neutral,
  positive: FEEDBACK_CONCEPTS.positive,
};
const SCORE_CONCEPT: Record<SentimentLabel, FeedbackConcept> = {
  negative: FEEDBACK_CONCEPTS.scoreNegative,
  neutral: FEEDBACK_CONCEPTS.scoreNeutral,
  positive: FEEDBACK_CONCEPTS.scorePositive,
};
const SEVERITY_CONCEPT: Record<SeverityLabel, FeedbackConcept> = {
  none: FEEDBACK_CONCEPTS.severityNone,
  mild: FEEDBACK_CONCEPTS.severityMild,
  moderate: FEEDBACK_CONCEPTS.severityModerate,
  severe: FEEDBACK_CONCEPTS.severitySevere,
  'extremely-severe': FEEDBACK_CONCEPTS.severityExtremelySevere,
};

/** Scores are written to three decimals: finer digits are noise and would rewrite resources for nothing. */
const SCORE_DECIMALS = 3;

/**
 * Builds the Observations of one source version.
 * @param source - the source version (subject, encounter, version).
 * @param classified - the items with their sentiment and mentions.
 * @param pipelineVersion - the feedback pipeline version (tag and extension).
 * @returns one desired Observation per item.
 */
export function mapFeedback(source: FeedbackVersion, classified: readonly ClassifiedItem[], pipelineVersion: string): DesiredFinding[] {
  return classified.map((c) => {
    const key = `Observation|feedback|${c.item.key}`;
    const identifier = findingIdentifier(source.id, key);
    return { key, identifier, resource: buildFeedbackObservation(source, c, identifier, pipelineVersion) };
  });
}

function buildFeedbackObservation(source: FeedbackVersion, c: ClassifiedItem, identifier: string, pipelineVersion: string): Observation {
  const sourceRef = versionedSourceRef(source);
  const derivation = (span: Span): Extension => derivationReference(sourceRef, c.item.path, span);
  const medications = uniqueByConcept(c.mentions.filter((m) => m.kind === 'medication' && m.assertion !== 'negated' && m.concept));
  const symptoms = uniqueByConcept(c.mentions.filter((m) => m.kind === 'problem' && m.assertion === 'affirmed' && m.concept));
  const contained: Medication[] = medications.map((m, i) => ({ resourceType: 'Medication', id: `med${i + 1}`, code: toConcept(m) }));
  const symptomCode = medications.length > 0 ? FEEDBACK_CONCEPTS.reportedSideEffect : FEEDBACK_CONCEPTS.reportedSymptom;
  const component: ObservationComponent[] = [
    ...(['negative', 'neutral', 'positive'] as const).map((label) => ({
      code: chartmineConcept(SCORE_CONCEPT[label]),
      valueQuantity: { value: round(c.result.scores[label]), unit: '1', system: UCUM, code: '1' },
    })),
    ...(c.result.severity ? [{ code: chartmineConcept(FEEDBACK_CONCEPTS.sideEffectSeverity), valueCodeableConcept: chartmineConcept(SEVERITY_CONCEPT[c.result.severity]) }] : []),
    ...medications.map((m) => ({ extension: [derivation(m.span)], code: chartmineConcept(FEEDBACK_CONCEPTS.mentionedMedication), valueCodeableConcept: toConcept(m) })),
    ...symptoms.map((m) => ({ extension: [derivation(m.span)], code: chartmineConcept(symptomCode), valueCodeableConcept: toConcept(m) })),
  ];
  const focus: Reference[] = contained.map((m) => ({ reference: `#${m.id}` }));
  return {
    resourceType: 'Observation',
    meta: {
      profile: [PROFILES.feedbackSentiment],
      tag: [NLP_DERIVED_TAG, { system: SOURCE_DOCUMENT_TAG_SYSTEM, code: source.id }, { system: PIPELINE_VERSION_TAG_SYSTEM, code: pipelineVersion }],
    },
    ...(contained.length > 0 ? { contained } : {}),
    extension: [
      derivation({ start: 0, end: c.item.text.length }),
      { url: CONFIDENCE_EXTENSION_URL, valueDecimal: round(c.result.scores[c.result.label]) },
      { url: PIPELINE_VERSION_EXTENSION_URL, valueString: pipelineVersion },
    ],
    identifier: [toFindingIdentifier(identifier)],
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'survey', display: 'Survey' }] }],
    code: chartmineConcept(FEEDBACK_CONCEPTS.feedbackSentiment),
    subject: source.subject,
    ...(focus.length > 0 ? { focus } : {}),
    ...(source.encounter ? { encounter: source.encounter } : {}),
    ...(source.effective ? { effectiveDateTime: source.effective } : {}),
    valueCodeableConcept: { ...chartmineConcept(LABEL_CONCEPT[c.result.label]), text: c.result.label },
    // Unversioned, as notes do: the version is in the derivation-reference and the Provenance, so a new version of
    // the source rewrites only the items whose sentiment or mentions changed.
    derivedFrom: [{ reference: sourceRef.replace(/\/_history\/.*$/, '') }],
    component,
  };
}

/** `<Type>/<id>/_history/<version>` of the source. */
export function versionedSourceRef(source: NoteVersion): string {
  const base = source.source ? `${source.source.resourceType}/${source.source.id}` : `DocumentReference/${source.id}`;
  return source.versionId ? `${base}/_history/${source.versionId}` : base;
}

function chartmineConcept(concept: FeedbackConcept): CodeableConcept {
  return { coding: [{ system: CHARTMINE_CODES, code: concept.code, display: concept.display }] };
}

function toConcept(m: Mention): CodeableConcept {
  const concept = m.concept;
  if (!concept || concept.codings.length === 0) return { text: concept?.display ?? m.id };
  const coding: Coding[] = concept.codings.map((x) => ({ system: x.system, code: x.code, display: x.display }));
  return { coding, text: concept.display };
}

/** First mention of each concept (a review that names the drug three times is about it once). */
function uniqueByConcept(mentions: readonly Mention[]): Mention[] {
  const seen = new Set<string>();
  return mentions.filter((m) => {
    const id = m.concept?.id ?? m.id;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function derivationReference(reference: string, path: string, span: Span): Extension {
  return {
    url: DERIVATION_REFERENCE_URL,
    extension: [
      { url: 'reference', valueReference: { reference } },
      { url: 'path', valueString: path },
      { url: 'offset', valueInteger: span.start },
      { url: 'length', valueInteger: span.end - span.start },
    ],
  };
}

function round(value: number): number {
  const f = 10 ** SCORE_DECIMALS;
  return Math.round(value * f) / f;
}

