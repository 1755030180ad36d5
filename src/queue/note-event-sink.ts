/** The NoteEventSink that queues analyze-note jobs, pinning the current version when a notification omits it. */
import { DELETED_VERSION, type NoteEvent, type NoteEventSink } from '../ingest/note-event.js';
import type { AnalyzeNoteProducer } from './analyze-note.queue.js';

/** Reads the note's current version id; `undefined` when the note does not exist (any more). */
export type VersionResolver = (noteId: string) => Promise<string | undefined>;

/** Queues one analyze-note job per event. */
export class QueueNoteEventSink implements NoteEventSink {
  constructor(
    /** The producer (a function: the server knows its queue namespace only once it listens). */
    private readonly producer: () => AnalyzeNoteProducer,
    private readonly resolveVersion: VersionResolver
  ) {}

  async accept(events: readonly NoteEvent[], requestId: string): Promise<string[]> {
    const jobIds: string[] = [];
    for (const event of events) {
      const versionId =
        event.interaction === 'delete' ? DELETED_VERSION : (event.versionId ?? (await this.resolveVersion(event.noteId)) ?? DELETED_VERSION);
      jobIds.push(await this.producer().enqueue({ noteId: event.noteId, versionId, requestId }));
    }
    return jobIds;
  }
}
