/**
 * The NoteEventSink that queues analyze-note jobs — and analyze-feedback jobs for QuestionnaireResponse and
 * Communication events — pinning the current version when a notification omits it. A DocumentReference always goes
 * to the note queue: the note job hands a feedback-typed one over to the feedback queue once it has read its type.
 */
import { DELETED_VERSION, type FeedbackEventType, type NoteEvent, type NoteEventSink } from '../ingest/note-event.js';
import type { AnalyzeFeedbackProducer } from './analyze-feedback.queue.js';
import type { AnalyzeNoteProducer } from './analyze-note.queue.js';

/** Reads the note's current version id; `undefined` when the note does not exist (any more). */
export type VersionResolver = (noteId: string) => Promise<string | undefined>;

/** Reads a feedback resource's current version id; `undefined` when it does not exist (any more). */
export type SourceVersionResolver = (resourceType: FeedbackEventType, id: string) => Promise<string | undefined>;

/** Where feedback events go. */
export interface FeedbackRoute {
  readonly producer: () => AnalyzeFeedbackProducer;
  readonly resolveVersion: SourceVersionResolver;
}

/** Queues one job per event. */
export class QueueNoteEventSink implements NoteEventSink {
  constructor(
    /** The producer (a function: the server knows its queue namespace only once it listens). */
    private readonly producer: () => AnalyzeNoteProducer,
    private readonly resolveVersion: VersionResolver,
    /** The feedback queue; without it feedback events are refused (none are expected). */
    private readonly feedback?: FeedbackRoute
  ) {}

  async accept(events: readonly NoteEvent[], requestId: string): Promise<string[]> {
    const jobIds: string[] = [];
    for (const event of events) {
      if (event.resourceType) {
        jobIds.push(await this.acceptFeedback(event, event.resourceType, requestId));
        continue;
      }
      const versionId =
        event.interaction === 'delete' ? DELETED_VERSION : (event.versionId ?? (await this.resolveVersion(event.noteId)) ?? DELETED_VERSION);
      jobIds.push(await this.producer().enqueue({ noteId: event.noteId, versionId, requestId }));
    }
    return jobIds;
  }

  private async acceptFeedback(event: NoteEvent, resourceType: FeedbackEventType, requestId: string): Promise<string> {
    const route = this.feedback;
    if (!route) throw new Error('feedback event without a feedback queue');
    const versionId =
      event.interaction === 'delete'
        ? DELETED_VERSION
        : (event.versionId ?? (await route.resolveVersion(resourceType, event.noteId)) ?? DELETED_VERSION);
    return route.producer().enqueue({ resourceType, id: event.noteId, versionId, requestId });
  }
}
