/** Strict JSON reading and the small checks every notification parser shares. Pure. */
import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import { InvalidNotificationError } from '../errors.js';
import { FEEDBACK_EVENT_TYPES, type FeedbackEventType, type NoteEvent } from './note-event.js';

/** FHIR id syntax: 1–64 of letters, digits, `-` and `.`. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * The event for a DocumentReference payload.
 * @param note - the resource as received.
 * @returns the upsert event.
 */
export function toUpsertEvent(note: DocumentReference | Resource): NoteEvent {
  const type = note.resourceType;
  if (typeof note.id !== 'string' || !FHIR_ID.test(note.id)) {
    throw new InvalidNotificationError(`${type}.id is missing or not a valid id`, `${type}.id`, 422);
  }
  const versionId = note.meta?.versionId;
  if (versionId !== undefined && (typeof versionId !== 'string' || !FHIR_ID.test(versionId))) {
    throw new InvalidNotificationError(`${type}.meta.versionId is not a valid id`, `${type}.meta.versionId`, 422);
  }
  const feedbackType = isFeedbackEventType(type) ? { resourceType: type } : {};
  return { noteId: note.id, ...feedbackType, ...(versionId ? { versionId } : {}), interaction: 'upsert' };
}

/**
 * Whether a resource type is one whose notifications go to the feedback queue.
 * @param type - a resource type.
 * @returns true for QuestionnaireResponse and Communication.
 */
export function isFeedbackEventType(type: unknown): type is FeedbackEventType {
  return typeof type === 'string' && (FEEDBACK_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * Whether notifications about this type are processed: notes (DocumentReference) and patient feedback.
 * @param type - a resource type.
 * @returns true when Chartmine acts on it.
 */
export function isNotifiedType(type: unknown): type is 'DocumentReference' | FeedbackEventType {
  return type === 'DocumentReference' || isFeedbackEventType(type);
}

/**
 * Parses a JSON body strictly: a JSON media type, a non-empty body, valid UTF-8 JSON.
 * @param req - the request.
 * @returns the parsed value.
 */
export function parseJsonBody(req: { readonly contentType: string | undefined; readonly body: Buffer }): unknown {
  const type = (req.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/fhir+json') {
    throw new InvalidNotificationError('content type must be application/fhir+json or application/json', undefined, 415);
  }
  if (req.body.length === 0) {
    throw new InvalidNotificationError('empty body');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(req.body);
  } catch (err: unknown) {
    void err;
    throw new InvalidNotificationError('body is not UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err: unknown) {
    void err; // the parser's message quotes the body: never pass it on
    throw new InvalidNotificationError('body is not valid JSON');
  }
}

/**
 * Narrows to a plain JSON object.
 * @param value - anything.
 * @returns whether it is an object (not null, not an array).
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
