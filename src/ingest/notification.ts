/** What a parsed notification asks Chartmine to do. Identifiers only: no note text crosses this boundary. */
import type { NoteEvent } from './note-event.js';

/** Which notification form was recognised (for logs and metrics: never ids or text). */
export type NotificationForm =
  | 'rest-hook-full' // FHIR R4 rest-hook with payload, POSTed (also Medplum webhooks)
  | 'rest-hook-path' // HAPI-style rest-hook: PUT/DELETE {endpoint}/DocumentReference/{id}
  | 'rest-hook-empty' // FHIR R4 rest-hook without payload: a ping with no body
  | 'medplum-delete' // Medplum: `{}` with X-Medplum-Deleted-Resource
  | 'topic-r4b-r5' // R4B/R5 subscription-notification Bundle with a SubscriptionStatus
  | 'topic-backport-r4'; // Subscriptions R5 Backport for R4: history Bundle, Parameters status

/** The kinds of topic-based notification Chartmine acts on. */
export type TopicNotificationType = 'handshake' | 'heartbeat' | 'event-notification';

/** Note events to queue as they are. */
export interface EventsNotification {
  readonly kind: 'events';
  readonly form: NotificationForm;
  readonly events: readonly NoteEvent[];
}

/** Something changed, the notification does not say what: search the server (catch-up). */
export interface PingNotification {
  readonly kind: 'ping';
  readonly form: NotificationForm;
}

/** A topic-based notification (R4B/R5, or the R4 backport). */
export interface TopicNotification {
  readonly kind: 'topic';
  readonly form: NotificationForm;
  /** The Subscription, as the status names it (its reference); event numbers are tracked per subscription. */
  readonly subscription: string;
  readonly type: TopicNotificationType;
  /** `eventsSinceSubscriptionStart`, when given. */
  readonly eventsSinceStart: number | undefined;
  /** Event numbers this notification carries (may be empty). */
  readonly eventNumbers: readonly number[];
  /** Events for DocumentReference, QuestionnaireResponse and Communication foci (id-only or full-resource); others are ignored. */
  readonly events: readonly NoteEvent[];
  /** True when at least one event came without a focus (content `empty`): only a search can find it. */
  readonly needsCatchUp: boolean;
}

/** Any notification. */
export type Notification = EventsNotification | PingNotification | TopicNotification;
