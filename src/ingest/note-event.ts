/** What ingest produces from any notification form: which note changed. Identifiers only. */

/** The version id a deletion is queued under: its job retracts the note's findings once the server says 410. */
export const DELETED_VERSION = 'deleted';

/** Resource types other than DocumentReference that carry patient feedback (their events go to the feedback queue). */
export const FEEDBACK_EVENT_TYPES = ['QuestionnaireResponse', 'Communication'] as const;
export type FeedbackEventType = (typeof FEEDBACK_EVENT_TYPES)[number];

/**
 * A note was created/updated (analyse it) or deleted (retract what was derived). With `resourceType`, the same for a
 * patient-feedback resource (QuestionnaireResponse, Communication) whose id is `noteId`.
 */
export interface NoteEvent {
  readonly noteId: string;
  /** Absent: a DocumentReference (a note, or feedback the note job hands over). */
  readonly resourceType?: FeedbackEventType;
  /** The version notified; absent when the notification did not say (the producer pins the current version). */
  readonly versionId?: string;
  readonly interaction: 'upsert' | 'delete';
}

/** Takes note events and queues work for them. */
export interface NoteEventSink {
  /**
   * Queues one job per event.
   * @param events - the events.
   * @param requestId - the request or event id, for correlation.
   * @returns the job ids, in order.
   * @throws UpstreamError when the queue (or the FHIR server, to pin a version) is unavailable.
   */
  accept(events: readonly NoteEvent[], requestId: string): Promise<string[]>;
}
