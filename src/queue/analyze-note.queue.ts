/** The analyze-note queue: its name, job options, job ids and producer. Only identifiers cross Redis. */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { UpstreamError } from '../errors.js';
import type { AnalyzeNoteJobData } from '../jobs/analyze-note.job.js';
import { currentTraceparent, inSpan } from '../observability/tracing.js';

/** Queue name (kebab-case: BullMQ reserves `:`). */
export const ANALYZE_NOTE_QUEUE = 'nlp-analyze-note';
/** Job name within the queue. */
export const ANALYZE_NOTE_JOB = 'analyze-note';

/**
 * 6 attempts, exponential from 5 s: retries after 5, 10, 20, 40 and 80 s, so a FHIR or Redis outage of about
 * 2.5 minutes loses nothing; after that the job waits in the failed set (7 days) to be replayed.
 */
export const ANALYZE_NOTE_JOB_OPTIONS: JobsOptions = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * The job id: one job per note version, so repeated notifications for the same version collapse into one job while
 * it waits or runs, and into its result for 24 h after it completed with findings written or unchanged. A job
 * that failed or was skipped does not swallow a later notification: `enqueue` runs it again under the same id.
 * @param data - the job data.
 * @returns the id.
 */
export function analyzeNoteJobId(data: Pick<AnalyzeNoteJobData, 'noteId' | 'versionId'>): string {
  return `note-${safe(data.noteId)}-v${safe(data.versionId)}`;
}

function safe(part: string): string {
  return part.replace(/[^A-Za-z0-9.-]/g, '_');
}

/** Adds analyze-note jobs. */
export class AnalyzeNoteProducer {
  readonly queue: Queue<AnalyzeNoteJobData>;

  /**
   * @param connection - a `producer` Redis connection.
   * @param prefix - the BullMQ key prefix (QUEUE_PREFIX).
   */
  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<AnalyzeNoteJobData>(ANALYZE_NOTE_QUEUE, {
      connection,
      prefix,
      defaultJobOptions: ANALYZE_NOTE_JOB_OPTIONS,
    });
  }

  /**
   * Enqueues one note version; a second call for the same version returns the existing job's id.
   * @param data - the job data.
   * @param options - extra job options (e.g. a distinct id suffix for a deliberate reprocess).
   * @returns the job id.
   * @throws UpstreamError when Redis cannot take the job.
   */
  async enqueue(data: AnalyzeNoteJobData, options: { readonly jobIdSuffix?: string } = {}): Promise<string> {
    const jobId = analyzeNoteJobId(data) + (options.jobIdSuffix ? `-${safe(options.jobIdSuffix)}` : '');
    return inSpan('queue.add', { 'messaging.destination.name': ANALYZE_NOTE_QUEUE, 'messaging.message.id': jobId }, async () => {
      // Inside the span: the worker's span becomes its child, one trace from notification to write-back.
      const traceparent = currentTraceparent();
      try {
        const job = await this.queue.add(ANALYZE_NOTE_JOB, traceparent ? { ...data, traceparent } : data, { jobId });
        // BullMQ ignores an add whose id exists and hands back the existing job. A finished one that did not write
        // (skipped, e.g. a version not served yet at the time, or failed) runs again for the new notification.
        await rerunIfUnfinished(this.queue, jobId);
        return job.id ?? jobId;
      } catch (err: unknown) {
        throw new UpstreamError('could not enqueue the note', { cause: err });
      }
    });
  }

  /** Closes the queue (not the connection). */
  async close(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * Runs a finished job again when it did not write (failed, or completed as `skipped`): a new notification for the
 * same version deserves a new run. Shared by the note and feedback producers.
 * @param queue - the queue.
 * @param jobId - the job id.
 */
export async function rerunIfUnfinished(queue: Queue, jobId: string): Promise<void> {
  const job = await queue.getJob(jobId);
  if (!job) return;
  const state = await job.getState();
  const skipped = state === 'completed' && (job.returnvalue as { outcome?: string } | undefined)?.outcome === 'skipped';
  if (state !== 'failed' && !skipped) return;
  try {
    await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
  } catch (err: unknown) {
    // Another notification re-ran it first (it is no longer finished): one run is what is wanted.
    if ((await job.getState()) === state) throw err;
  }
}
