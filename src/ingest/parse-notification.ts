/**
 * Parses an inbound notification into note events. Pure. Understands: a DocumentReference body (FHIR R4 rest-hook
 * with full payload, Medplum webhooks). Anything else is refused without enqueueing.
 */
import type { DocumentReference } from '@medplum/fhirtypes';
import { InvalidNotificationError } from '../errors.js';
import type { NoteEvent } from './note-event.js';

/** FHIR id syntax: 1–64 of letters, digits, `-` and `.`. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** An inbound notification as the HTTP layer hands it over. */
export interface NotificationRequest {
  readonly method: string;
  /** Path below `/notify`, e.g. `` or `DocumentReference/123`. */
  readonly path: string;
  readonly contentType: string | undefined;
  /** The raw body (may be empty). */
  readonly body: Buffer;
}

/**
 * Parses the notification.
 * @param req - the request.
 * @returns the note events it announces.
 * @throws InvalidNotificationError (400 malformed, 415 wrong media type, 422 well-formed but not processable).
 */
export function parseNotification(req: NotificationRequest): NoteEvent[] {
  const json = parseJsonBody(req);
  if (!isObject(json) || typeof json.resourceType !== 'string') {
    throw new InvalidNotificationError('body is not a FHIR resource', undefined, 422);
  }
  if (json.resourceType !== 'DocumentReference') {
    throw new InvalidNotificationError(`cannot process a ${safeName(json.resourceType)} notification`, 'resourceType', 422);
  }
  return [toUpsertEvent(json as unknown as DocumentReference)];
}

/**
 * The event for a DocumentReference payload.
 * @param note - the resource as received.
 * @returns the upsert event.
 */
export function toUpsertEvent(note: DocumentReference): NoteEvent {
  if (typeof note.id !== 'string' || !FHIR_ID.test(note.id)) {
    throw new InvalidNotificationError('DocumentReference.id is missing or not a valid id', 'DocumentReference.id', 422);
  }
  const versionId = note.meta?.versionId;
  if (versionId !== undefined && (typeof versionId !== 'string' || !FHIR_ID.test(versionId))) {
    throw new InvalidNotificationError('DocumentReference.meta.versionId is not a valid id', 'DocumentReference.meta.versionId', 422);
  }
  return { noteId: note.id, ...(versionId ? { versionId } : {}), interaction: 'upsert' };
}

/**
 * Parses a JSON body strictly.
 * @param req - the request.
 * @returns the parsed value.
 */
export function parseJsonBody(req: NotificationRequest): unknown {
  const type = (req.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/fhir+json') {
    throw new InvalidNotificationError('content type must be application/fhir+json or application/json', undefined, 415);
  }
  if (req.body.length === 0) {
    throw new InvalidNotificationError('empty body');
  }
  try {
    return JSON.parse(req.body.toString('utf8')) as unknown;
  } catch (err: unknown) {
    void err; // the parser's message quotes the body: never pass it on
    throw new InvalidNotificationError('body is not valid JSON');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A resource type name is echoed only when it looks like one (never arbitrary input). */
function safeName(value: string): string {
  return /^[A-Z][A-Za-z]{1,63}$/.test(value) ? value : 'unknown resource type';
}
