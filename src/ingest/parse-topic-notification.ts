/**
 * Topic-based notification Bundles. Pure. Two shapes carry the same information:
 * - R4B/R5: `Bundle.type` `subscription-notification` (R4B examples in the backport IG use `history`), first entry a
 *   `SubscriptionStatus` (`type`, `eventsSinceSubscriptionStart`, `notificationEvent[]` with `eventNumber`, `focus`);
 * - Subscriptions R5 Backport for R4: `Bundle.type` `history`, first entry a `Parameters` (profile
 *   backport-subscription-status-r4) with `subscription`, `type`, `events-since-subscription-start` and
 *   `notification-event` parts `event-number`, `timestamp`, `focus`.
 * The content level is read off the shape: an event with a focus whose resource is in the Bundle is
 * full-resource, one with only a focus is id-only, one without focus is empty (a search finds the change).
 */
import type { DocumentReference } from '@medplum/fhirtypes';
import { InvalidNotificationError } from '../errors.js';
import type { NoteEvent } from './note-event.js';
import type { TopicNotification, TopicNotificationType } from './notification.js';
import { FHIR_ID, isFeedbackEventType, isNotifiedType, isObject, toUpsertEvent } from './notification-json.js';

type Json = Record<string, unknown>;

interface StatusEvent {
  readonly eventNumber: number | undefined;
  readonly focus: string | undefined;
}

interface Status {
  readonly subscription: string;
  readonly type: string;
  readonly eventsSinceStart: number | undefined;
  /** `events-in-notification` (backport STU1 only). */
  readonly eventsInNotification: number | undefined;
  readonly events: readonly StatusEvent[];
}

const TYPES: readonly TopicNotificationType[] = ['handshake', 'heartbeat', 'event-notification'];
/** Reasonable bound: a notification with more events than this is refused rather than processed partly. */
export const MAX_EVENTS_PER_NOTIFICATION = 1_000;

/**
 * Parses a notification Bundle.
 * @param bundle - the parsed JSON (resourceType `Bundle`).
 * @returns the topic notification.
 * @throws InvalidNotificationError (422) when it is not a subscription notification Chartmine processes.
 */
export function parseTopicNotification(bundle: Json): TopicNotification {
  if (bundle.type !== 'subscription-notification' && bundle.type !== 'history') {
    throw new InvalidNotificationError('Bundle is not a subscription notification', 'Bundle.type', 422);
  }
  const entries = Array.isArray(bundle.entry) ? bundle.entry.filter(isObject) : [];
  const first = isObject(entries[0]?.resource) ? entries[0].resource : undefined;
  let status: Status;
  let form: TopicNotification['form'];
  if (first?.resourceType === 'SubscriptionStatus') {
    status = readSubscriptionStatus(first);
    form = 'topic-r4b-r5';
  } else if (first?.resourceType === 'Parameters') {
    status = readBackportParameters(first);
    form = 'topic-backport-r4';
  } else {
    throw new InvalidNotificationError('Bundle does not start with a subscription status', 'Bundle.entry[0].resource', 422);
  }
  if (!TYPES.includes(status.type as TopicNotificationType)) {
    throw new InvalidNotificationError('notification type is not handshake, heartbeat or event-notification', 'type', 422);
  }
  const type = status.type as TopicNotificationType;
  if (type !== 'event-notification') {
    return { kind: 'topic', form, subscription: status.subscription, type, eventsSinceStart: status.eventsSinceStart, eventNumbers: [], events: [], needsCatchUp: false };
  }
  const included = indexEntries(entries.slice(1));
  const events: NoteEvent[] = [];
  let needsCatchUp = false;
  let statusEvents = status.events;
  if (statusEvents.length === 0) {
    // Backport STU1 listed no events: the resources in the Bundle are the foci, or (empty content) nothing is.
    const foci = [...included.values()].filter((e) => e.resource || e.deleted);
    statusEvents = foci.length > 0 ? foci.map((e) => ({ eventNumber: undefined, focus: e.key })) : [{ eventNumber: undefined, focus: undefined }];
  }
  if (statusEvents.length > MAX_EVENTS_PER_NOTIFICATION) {
    throw new InvalidNotificationError('too many events in one notification', 'notificationEvent', 422);
  }
  for (const event of statusEvents) {
    if (event.focus === undefined) {
      needsCatchUp = true;
      continue;
    }
    const focus = parseFocus(event.focus);
    if (!isNotifiedType(focus.resourceType)) continue; // a topic may cover other types: not ours
    const feedbackType = isFeedbackEventType(focus.resourceType) ? { resourceType: focus.resourceType } : {};
    const entry = included.get(`${focus.resourceType}/${focus.id}`);
    if (entry?.deleted) {
      events.push({ noteId: focus.id, ...feedbackType, interaction: 'delete' });
    } else if (entry?.resource) {
      const fromResource = toUpsertEvent(entry.resource as unknown as DocumentReference);
      if (fromResource.noteId !== focus.id) {
        throw new InvalidNotificationError('included resource does not match its focus', 'notificationEvent.focus', 422);
      }
      events.push(fromResource);
    } else {
      events.push({ noteId: focus.id, ...feedbackType, ...(focus.versionId ? { versionId: focus.versionId } : {}), interaction: 'upsert' });
    }
  }
  return {
    kind: 'topic',
    form,
    subscription: status.subscription,
    type,
    eventsSinceStart: status.eventsSinceStart,
    eventNumbers: eventNumbersOf(status),
    events,
    needsCatchUp,
  };
}

/** Event numbers carried, or (backport STU1) derived from the counters. */
function eventNumbersOf(status: Status): number[] {
  const numbers = status.events.map((e) => e.eventNumber).filter((n): n is number => n !== undefined);
  if (numbers.length > 0 || status.eventsSinceStart === undefined || status.eventsInNotification === undefined) {
    return numbers;
  }
  const count = Math.min(status.eventsInNotification, MAX_EVENTS_PER_NOTIFICATION);
  return Array.from({ length: count }, (_, i) => (status.eventsSinceStart as number) - count + 1 + i).filter((n) => n > 0);
}

function readSubscriptionStatus(resource: Json): Status {
  const events = Array.isArray(resource.notificationEvent) ? resource.notificationEvent : [];
  return {
    subscription: readSubscriptionRef(isObject(resource.subscription) ? resource.subscription.reference : undefined),
    type: typeof resource.type === 'string' ? resource.type : '',
    eventsSinceStart: readCounter(resource.eventsSinceSubscriptionStart, 'eventsSinceSubscriptionStart'),
    eventsInNotification: undefined,
    events: events.map((e: unknown) => {
      const event = isObject(e) ? e : {};
      return {
        eventNumber: readCounter(event.eventNumber, 'notificationEvent.eventNumber'),
        focus: readFocusRef(event.focus),
      };
    }),
  };
}

function readBackportParameters(resource: Json): Status {
  const params = Array.isArray(resource.parameter) ? resource.parameter.filter(isObject) : [];
  const one = (name: string): Json | undefined => params.find((p) => p.name === name);
  const subscription = one('subscription');
  return {
    subscription: readSubscriptionRef(isObject(subscription?.valueReference) ? subscription.valueReference.reference : undefined),
    type: typeof one('type')?.valueCode === 'string' ? (one('type')?.valueCode as string) : '',
    eventsSinceStart: readCounter(valueOf(one('events-since-subscription-start')), 'events-since-subscription-start'),
    eventsInNotification: readCounter(valueOf(one('events-in-notification')), 'events-in-notification'),
    events: params
      .filter((p) => p.name === 'notification-event')
      .map((p) => {
        const parts = Array.isArray(p.part) ? p.part.filter(isObject) : [];
        const part = (name: string): Json | undefined => parts.find((x) => x.name === name);
        return {
          eventNumber: readCounter(valueOf(part('event-number')), 'notification-event.event-number'),
          focus: readFocusRef(part('focus')?.valueReference),
        };
      }),
  };
}

/** The value[x] of a Parameters parameter (the backport has used valueString, valueUnsignedInt and valueInteger64). */
function valueOf(param: Json | undefined): unknown {
  if (!param) return undefined;
  const key = Object.keys(param).find((k) => k.startsWith('value'));
  return key ? param[key] : undefined;
}

/** An event counter: integer64 travels as a JSON string in R5, as a number in older shapes. */
function readCounter(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidNotificationError(`${where} is not a non-negative integer`, where, 422);
  }
  return n;
}

function readSubscriptionRef(reference: unknown): string {
  if (typeof reference !== 'string' || reference.length === 0 || reference.length > 1024) {
    throw new InvalidNotificationError('subscription status does not name its subscription', 'subscription', 422);
  }
  return reference;
}

function readFocusRef(focus: unknown): string | undefined {
  if (!isObject(focus) || focus.reference === undefined) return undefined;
  if (typeof focus.reference !== 'string') {
    throw new InvalidNotificationError('focus reference is not a string', 'focus', 422);
  }
  return focus.reference;
}

/**
 * Reads `Type/id`, `Type/id/_history/v`, or an absolute URL ending so. Only the type, id and version are used:
 * Chartmine reads the note from its configured FHIR server and never contacts the host a reference names.
 */
function parseFocus(reference: string): { resourceType: string; id: string; versionId: string | undefined } {
  const path = URL.canParse(reference) ? new URL(reference).pathname : reference;
  const match = /(?:^|\/)([A-Z][A-Za-z]{0,63})\/([^/]+)(?:\/_history\/([^/]+))?\/?$/.exec(path);
  if (!match || !FHIR_ID.test(match[2]) || (match[3] !== undefined && !FHIR_ID.test(match[3]))) {
    throw new InvalidNotificationError('focus is not a resource reference', 'focus', 422);
  }
  return { resourceType: match[1], id: match[2], versionId: match[3] };
}

interface IncludedEntry {
  readonly key: string;
  readonly resource: Json | undefined;
  readonly deleted: boolean;
}

/** The Bundle's other entries by `Type/id`: resources (full-resource) and DELETE requests. */
function indexEntries(entries: readonly Json[]): Map<string, IncludedEntry> {
  const out = new Map<string, IncludedEntry>();
  for (const entry of entries) {
    const resource = isObject(entry.resource) ? entry.resource : undefined;
    const request = isObject(entry.request) ? entry.request : undefined;
    if (resource && typeof resource.resourceType === 'string' && typeof resource.id === 'string') {
      const key = `${resource.resourceType}/${resource.id}`;
      out.set(key, { key, resource, deleted: false });
    } else if (request?.method === 'DELETE') {
      const url = typeof request.url === 'string' ? request.url : typeof entry.fullUrl === 'string' ? entry.fullUrl : '';
      try {
        const focus = parseFocus(url);
        const key = `${focus.resourceType}/${focus.id}`;
        out.set(key, { key, resource: undefined, deleted: true });
      } catch (err: unknown) {
        void err; // a DELETE entry that names no resource says nothing we can use
      }
    }
  }
  return out;
}
