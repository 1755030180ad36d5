/**
 * Catch-up: finds notes changed since a cursor and queues each. Runs for a ping (rest-hook without payload), a
 * topic notification with empty content, a gap in event numbers, and every POLL_INTERVAL. The request is made
 * durable first (a flag in Redis) and the search runs in the background, so the sender gets its answer at once and
 * a crash or an unreachable FHIR server only delays the catch-up: it is retried until it succeeds.
 *
 * The search is `DocumentReference?_lastUpdated=gt<cursor>&_sort=_lastUpdated` (plus POLL_QUERY), following `next`
 * links. The cursor (the latest `meta.lastUpdated` seen) advances page by page, and only after that page's notes
 * were queued. Offset-based paging can skip an entry when a note in the window changes during the walk, so a walk
 * over several pages is repeated from the same start until one finds nothing new; job ids collapse the repeats.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { NoteEvent, NoteEventSink } from './note-event.js';

/** One note found by the search: identifiers and its timestamp only. */
export interface ChangedNote {
  readonly id: string;
  readonly versionId: string | undefined;
  readonly lastUpdated: string | undefined;
}

/** One page of the search. */
export interface ChangedNotesPage {
  readonly notes: readonly ChangedNote[];
  /** The server's `next` link, if there is another page. */
  readonly next: string | undefined;
}

/** The FHIR side of the catch-up. */
export interface ChangedNotesSource {
  /**
   * The first page of notes changed after `since`, oldest first.
   * @param since - an instant, or `undefined` for every note.
   */
  readFirstPage(since: string | undefined): Promise<ChangedNotesPage>;
  /** A page behind a `next` link. */
  readPage(url: string): Promise<ChangedNotesPage>;
}

/** Where the catch-up keeps its state (Redis, under QUEUE_PREFIX). */
export interface CatchUpState {
  /** The cursor: latest `meta.lastUpdated` whose notes are all queued. */
  readCursor(): Promise<string | undefined>;
  /** Moves the cursor forward (never back). */
  advanceCursor(lastUpdated: string): Promise<void>;
  /** Records that a catch-up must run. */
  markPending(): Promise<void>;
  /** Takes the pending flag: true when a catch-up was requested since the last take. */
  takePending(): Promise<boolean>;
}

/** Dependencies of the catch-up. */
export interface CatchUpDeps {
  readonly state: CatchUpState;
  readonly source: ChangedNotesSource;
  readonly sink: NoteEventSink;
  readonly log: Logger;
  /** Where the first catch-up starts when no cursor is stored (CATCH_UP_SINCE); unset: every note. */
  readonly since?: string | undefined;
  /** Delay before retrying a failed catch-up (attempt 1, 2, …). */
  readonly retryDelayMs?: (attempt: number) => number;
}

/**
 * The search starts this much before the cursor: servers stamp `lastUpdated` when a write starts, so a note can
 * become visible after one stamped later was already seen. Job ids collapse the notes seen twice.
 */
export const CATCH_UP_OVERLAP_MS = 1_000;
/** Walks over the same window at most (see the module comment). */
export const MAX_WALKS = 3;
/** Safety bound on pages in one walk. */
export const MAX_PAGES_PER_WALK = 10_000;
/** Retry a failed catch-up after 2, 4, 8 … s, at most a minute apart. */
export const DEFAULT_RETRY_DELAY_MS = (attempt: number): number => Math.min(60_000, 1_000 * 2 ** attempt);

/** What one catch-up did. */
export interface CatchUpReport {
  readonly queued: number;
  readonly pages: number;
  readonly walks: number;
}

/** Runs catch-ups one at a time, retrying failures. */
export class CatchUp {
  private chain: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(private readonly deps: CatchUpDeps) {}

  /**
   * Requests a catch-up: durable once this resolves, run in the background.
   * @param reason - why (for the log).
   * @throws UpstreamError when Redis cannot record the request (the caller answers 503; the sender retries).
   */
  async request(reason: string): Promise<void> {
    await this.deps.state.markPending();
    this.deps.log.debug({ reason }, 'catch-up requested');
    this.kick();
  }

  /** Runs a pending catch-up, if any (also at start-up: a request may have been left by a crash). */
  kick(): void {
    if (this.closed) return;
    this.chain = this.chain.then(() => this.drain());
  }

  /** Resolves when the catch-ups requested so far have run (or failed and been scheduled for retry). */
  async settled(): Promise<void> {
    await this.chain;
  }

  /** Stops retrying; a running catch-up finishes its page. The pending flag stays in Redis for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.chain;
  }

  private async drain(): Promise<void> {
    while (!this.closed) {
      try {
        if (!(await this.deps.state.takePending())) return;
      } catch (err: unknown) {
        // Redis is down: the server's Redis status already says so; repeat it here only at debug level.
        this.deps.log[this.failures === 0 ? 'warn' : 'debug']({ err, attempt: this.failures + 1 }, 'catch-up state unavailable, will retry');
        this.scheduleRetry();
        return;
      }
      try {
        const report = await this.runOnce();
        this.failures = 0;
        this.deps.log.info({ ...report }, 'catch-up done');
      } catch (err: unknown) {
        this.deps.log.warn({ err, attempt: this.failures + 1 }, 'catch-up failed, will retry');
        await this.deps.state.markPending().catch((markErr: unknown) => {
          this.deps.log.warn({ err: markErr }, 'could not keep the catch-up request');
        });
        this.scheduleRetry();
        return;
      }
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.failures++;
    const delay = (this.deps.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS)(this.failures);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
    this.retryTimer.unref();
  }

  /**
   * Searches and queues everything changed since the cursor.
   * @returns counts.
   */
  async runOnce(): Promise<CatchUpReport> {
    const cursor = (await this.deps.state.readCursor()) ?? this.deps.since;
    const start = cursor === undefined ? undefined : new Date(Date.parse(cursor) - CATCH_UP_OVERLAP_MS).toISOString();
    const requestId = `catch-up-${randomUUID().slice(0, 8)}`;
    const seen = new Set<string>();
    let queued = 0;
    let pages = 0;
    let walks = 0;
    while (walks < MAX_WALKS) {
      walks++;
      let fresh = 0;
      let walkPages = 0;
      let page = await this.deps.source.readFirstPage(start);
      for (;;) {
        walkPages++;
        const events: NoteEvent[] = [];
        let latest: string | undefined;
        for (const note of page.notes) {
          const key = `${note.id}@${note.versionId ?? ''}`;
          if (!seen.has(key)) {
            seen.add(key);
            events.push({ noteId: note.id, ...(note.versionId ? { versionId: note.versionId } : {}), interaction: 'upsert' });
          }
          if (note.lastUpdated && (!latest || Date.parse(note.lastUpdated) > Date.parse(latest))) latest = note.lastUpdated;
        }
        if (events.length > 0) {
          await this.deps.sink.accept(events, requestId);
          fresh += events.length;
        }
        if (latest) await this.deps.state.advanceCursor(latest); // only after the page is queued
        if (!page.next || walkPages >= MAX_PAGES_PER_WALK) break;
        page = await this.deps.source.readPage(page.next);
      }
      pages += walkPages;
      queued += fresh;
      // One page is one consistent answer; over several pages, walk again until nothing new turns up.
      if (walkPages <= 1 || (walks > 1 && fresh === 0)) break;
    }
    return { queued, pages, walks };
  }
}
