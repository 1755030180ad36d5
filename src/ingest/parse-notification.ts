/**
 * Parses an inbound notification. Pure. Understands every form in `test/fixtures/notifications/README.md`:
 * - FHIR R4 rest-hook with payload: a DocumentReference body POSTed to `/notify` (Medplum webhooks are the same);
 * - HAPI-style rest-hook: `PUT /notify/DocumentReference/{id}` with the resource, `DELETE` for a deletion;
 * - FHIR R4 rest-hook without payload: a POST with an empty body (a ping: search for what changed);
 * - Medplum deletions: `{}` with `X-Medplum-Deleted-Resource: DocumentReference/{id}`;
 * - topic-based notification Bundles (R4B/R5 `subscription-notification`, the R4 backport's `history` Bundle).
 * Anything else is refused (400 malformed, 415 media type, 422 not processable) without enqueueing.
 */
import type { DocumentReference } from '@medplum/fhirtypes';
import { InvalidNotificationError } from '../errors.js';
import { FHIR_ID, isFeedbackEventType, isNotifiedType, isObject, parseJsonBody, toUpsertEvent } from './notification-json.js';
import type { NoteEvent } from './note-event.js';
import type { Notification } from './notification.js';
import { parseTopicNotification } from './parse-topic-notification.js';

/** An inbound notification as the HTTP layer hands it over. */
export interface NotificationRequest {
  readonly method: string;
  /** Path below `/notify`, e.g. `` or `DocumentReference/123`. */
  readonly path: string;
  readonly contentType: string | undefined;
  /** The raw body (may be empty). */
  readonly body: Buffer;
  /** Medplum's `X-Medplum-Deleted-Resource` header (`DocumentReference/123`), when sent. */
  readonly deletedResource?: string | undefined;
}

/**
 * Parses the notification.
 * @param req - the request.
 * @returns what it asks for.
 * @throws InvalidNotificationError (400 malformed, 415 wrong media type, 422 well-formed but not processable).
 */
export function parseNotification(req: NotificationRequest): Notification {
  const method = req.method.toUpperCase();
  if (req.path !== '') {
    return parsePathNotification(method, req);
  }
  if (method !== 'POST') {
    throw new InvalidNotificationError(`${safeMethod(method)} needs a DocumentReference/{id} path`, undefined, 422);
  }
  if (req.deletedResource !== undefined) {
    const ref = parseNoteReference(req.deletedResource, 'X-Medplum-Deleted-Resource');
    if (req.body.length > 0) parseJsonBody(req); // still well-formed JSON (Medplum sends `{}`)
    return { kind: 'events', form: 'medplum-delete', events: [deleteEvent(ref)] };
  }
  if (req.body.length === 0) {
    return { kind: 'ping', form: 'rest-hook-empty' };
  }
  const json = parseJsonBody(req);
  if (!isObject(json) || typeof json.resourceType !== 'string') {
    throw new InvalidNotificationError('body is not a FHIR resource', undefined, 422);
  }
  if (isNotifiedType(json.resourceType)) {
    return { kind: 'events', form: 'rest-hook-full', events: [toUpsertEvent(json as unknown as DocumentReference)] };
  }
  if (json.resourceType === 'Bundle') {
    return parseTopicNotification(json);
  }
  throw new InvalidNotificationError(
    'resourceType must be DocumentReference, QuestionnaireResponse, Communication or Bundle',
    'resourceType',
    422
  );
}

/** HAPI's rest-hook: the resource path is appended to the endpoint; PUT carries the resource, DELETE nothing. */
function parsePathNotification(method: string, req: NotificationRequest): Notification {
  const ref = parseNoteReference(req.path, 'path');
  if (method === 'DELETE') {
    return { kind: 'events', form: 'rest-hook-path', events: [deleteEvent(ref)] };
  }
  if (method !== 'PUT' && method !== 'POST') {
    throw new InvalidNotificationError(`${safeMethod(method)} is not a notification`, undefined, 422);
  }
  const json = parseJsonBody(req);
  if (!isObject(json) || json.resourceType !== ref.resourceType) {
    throw new InvalidNotificationError(`body must be the ${ref.resourceType} named in the path`, 'resourceType', 422);
  }
  const note = json as unknown as DocumentReference;
  const event = toUpsertEvent(note.id === undefined ? { ...note, id: ref.id } : note);
  if (event.noteId !== ref.id) {
    throw new InvalidNotificationError(`${ref.resourceType}.id does not match the path`, `${ref.resourceType}.id`, 422);
  }
  return { kind: 'events', form: 'rest-hook-path', events: [event] };
}

/** A reference ingest acts on: a note (DocumentReference) or a patient-feedback resource. */
interface NotifiedRef {
  readonly resourceType: 'DocumentReference' | 'QuestionnaireResponse' | 'Communication';
  readonly id: string;
}

/**
 * The type and id in `DocumentReference/{id}` (or `QuestionnaireResponse/{id}`, `Communication/{id}`): a path, or
 * Medplum's deleted-resource header.
 * @param value - the reference.
 * @param where - what to name in the error.
 * @returns the type and id.
 */
function parseNoteReference(value: string, where: string): NotifiedRef {
  const match = /^\/?([A-Za-z]{1,64})\/([^/]+)\/?$/.exec(value);
  if (!match) {
    throw new InvalidNotificationError(`${where} must be DocumentReference/{id}`, undefined, 422);
  }
  if (!isNotifiedType(match[1])) {
    throw new InvalidNotificationError(`${where} must name a DocumentReference, QuestionnaireResponse or Communication`, where, 422);
  }
  if (!FHIR_ID.test(match[2])) {
    throw new InvalidNotificationError(`${where} has an invalid id`, where, 422);
  }
  return { resourceType: match[1], id: match[2] };
}

function deleteEvent(ref: NotifiedRef): NoteEvent {
  return { noteId: ref.id, ...(isFeedbackEventType(ref.resourceType) ? { resourceType: ref.resourceType } : {}), interaction: 'delete' };
}

function safeMethod(method: string): string {
  return /^[A-Z]{1,10}$/.test(method) ? method : 'this method';
}
