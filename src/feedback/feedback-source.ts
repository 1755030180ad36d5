/**
 * Which resources are patient feedback, and how they are named. Pure.
 * - `QuestionnaireResponse`: free-text answers (`valueString`) are feedback when the patient (or a related person)
 *   answered: `source` (R4) or `author` is a Patient or RelatedPerson, or neither is given (a survey sent to the
 *   subject). A response a clinician filled in is not patient feedback.
 * - `Communication`: a portal message from a Patient or RelatedPerson (`sender`), or any Communication categorised
 *   with Chartmine's `patient-feedback` code.
 * - `DocumentReference`: typed (or categorised) with Chartmine's `patient-feedback` code; every other
 *   DocumentReference is a clinical note.
 */
import type { CodeableConcept, Communication, DocumentReference, QuestionnaireResponse, Reference, Resource } from '@medplum/fhirtypes';
import { CHARTMINE_CODES } from '../fhir/naming.js';

/** The resource types feedback comes in. */
export const FEEDBACK_SOURCE_TYPES = ['QuestionnaireResponse', 'Communication', 'DocumentReference'] as const;
export type FeedbackSourceType = (typeof FEEDBACK_SOURCE_TYPES)[number];

/** The types that are always routed to the feedback queue (a DocumentReference goes there only when typed so). */
export const FEEDBACK_ONLY_TYPES: readonly FeedbackSourceType[] = ['QuestionnaireResponse', 'Communication'];

/** Chartmine's code for a patient-feedback document or message (`DocumentReference.type`, `Communication.category`). */
export const PATIENT_FEEDBACK_CODE = 'patient-feedback';

/** A feedback resource a job reads. */
export type FeedbackResource = QuestionnaireResponse | Communication | DocumentReference;

/**
 * The key everything derived from a source is tagged and locked with: a DocumentReference keeps its id (as notes do),
 * other types are `<Type>-<id>` so that ids of different types never share derived resources.
 * @param resourceType - the source type.
 * @param id - its id.
 * @returns the key.
 */
export function feedbackSourceKey(resourceType: FeedbackSourceType, id: string): string {
  return resourceType === 'DocumentReference' ? id : `${resourceType}-${id}`;
}

/**
 * Whether a type is a feedback source type.
 * @param value - a resource type.
 * @returns true for QuestionnaireResponse, Communication and DocumentReference.
 */
export function isFeedbackSourceType(value: unknown): value is FeedbackSourceType {
  return typeof value === 'string' && (FEEDBACK_SOURCE_TYPES as readonly string[]).includes(value);
}

/**
 * Whether a DocumentReference is patient feedback rather than a clinical note.
 * @param doc - the DocumentReference.
 * @returns true when its type or a category carries Chartmine's `patient-feedback` code.
 */
export function isFeedbackDocument(doc: Pick<DocumentReference, 'type' | 'category'>): boolean {
  return hasFeedbackCode(doc.type) || (doc.category ?? []).some(hasFeedbackCode);
}

/** Why a resource of a feedback type is not patient feedback, or `undefined` when it is. */
export type NotFeedbackReason = 'not-patient-authored' | 'not-feedback-document';

/**
 * Checks that a resource of a feedback type is patient feedback.
 * @param resource - the resource read.
 * @returns the reason it is not, or `undefined`.
 */
export function notFeedbackReason(resource: Resource): NotFeedbackReason | undefined {
  switch (resource.resourceType) {
    case 'QuestionnaireResponse': {
      const by: (Reference | undefined)[] = [resource.source, resource.author];
      return by.filter((r) => !!r?.reference).every(isPatientSide) ? undefined : 'not-patient-authored';
    }
    case 'Communication':
      return isPatientSide(resource.sender) || (resource.category ?? []).some(hasFeedbackCode) ? undefined : 'not-patient-authored';
    case 'DocumentReference':
      return isFeedbackDocument(resource) ? undefined : 'not-feedback-document';
    default:
      return 'not-feedback-document';
  }
}

function isPatientSide(ref: Reference | undefined): boolean {
  return /^(Patient|RelatedPerson)\//.test(ref?.reference ?? '');
}

function hasFeedbackCode(concept: CodeableConcept | undefined): boolean {
  return (concept?.coding ?? []).some((c) => c.system === CHARTMINE_CODES && c.code === PATIENT_FEEDBACK_CODE);
}
