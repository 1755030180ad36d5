/**
 * Relays the embedded store's DocumentReference (and QuestionnaireResponse, Communication) changes to the queue, exactly as a subscription notification
 * would. If Redis is down the change waits in memory and is retried until it is queued (the embedded store is in
 * memory too, so this outbox is exactly as durable as the notes it relays).
 */
import type { ResourceChange } from '../embedded/embedded-repository.js';
import { DELETED_VERSION, FEEDBACK_EVENT_TYPES, type FeedbackEventType, type NoteEventSink } from '../ingest/note-event.js';
import type { Logger } from '../observability/logger.js';

/** How often pending changes are retried while Redis is unavailable. */
export const RELAY_RETRY_MS = 2_000;

/** Outbox between the embedded store and the queue. */
export class ChangeRelay {
  private readonly pending: ResourceChange[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: NoteEventSink,
    private readonly log: Logger
  ) {}

  /** Number of changes waiting to be queued. */
  get backlog(): number {
    return this.pending.length;
  }

  /**
   * Takes a committed change (called synchronously by the repository).
   * @param change - the change.
   */
  onChange(change: ResourceChange): void {
    if (change.resourceType !== 'DocumentReference' && !(FEEDBACK_EVENT_TYPES as readonly string[]).includes(change.resourceType)) {
      return;
    }
    this.pending.push(change);
    this.inFlight = this.inFlight.then(() => this.flush());
  }

  /** Resolves when everything received so far has been queued or scheduled for retry. */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  /** Stops retrying (pending changes are reported, not lost silently). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      this.log.warn({ backlog: this.pending.length }, 'change relay closed with changes not queued');
    }
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const change = this.pending[0];
      try {
        // QuestionnaireResponse and Communication changes are patient feedback (the feedback queue).
        const type = change.resourceType === 'DocumentReference' ? {} : { resourceType: change.resourceType as FeedbackEventType };
        const event =
          change.interaction === 'delete'
            ? { noteId: change.id, ...type, versionId: DELETED_VERSION, interaction: 'delete' as const }
            : { noteId: change.id, ...type, versionId: change.versionId, interaction: 'upsert' as const };
        await this.sink.accept([event], `embedded-${change.id}-${event.versionId ?? 'current'}`);
        this.pending.shift();
      } catch (err: unknown) {
        this.log.warn({ err, backlog: this.pending.length }, 'queueing a note change failed, will retry');
        this.scheduleRetry();
        return;
      }
    }
  }

  private scheduleRetry(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.inFlight.then(() => this.flush());
    }, RELAY_RETRY_MS);
    this.timer.unref();
  }
}
