/** The analyze-feedback queue: name, job options, job ids and producer. Only identifiers cross Redis. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { UpstreamError } from '../errors.js';
import type { AnalyzeFeedbackJobData } from '../jobs/analyze-feedback.job.js';
import { ANALYZE_NOTE_JOB_OPTIONS, rerunIfUnfinished } from './analyze-note.queue.js';

/** Queue name (kebab-case: BullMQ reserves `:`). */
export const ANALYZE_FEEDBACK_QUEUE = 'nlp-analyze-feedback';
/** Job name within the queue. */
export const ANALYZE_FEEDBACK_JOB = 'analyze-feedback';
/** Same retry budget and retention as notes: a FHIR or Redis outage of about 2.5 minutes loses nothing. */
export const ANALYZE_FEEDBACK_JOB_OPTIONS = ANALYZE_NOTE_JOB_OPTIONS;

/**
 * The job id: one job per source version (`feedback-<Type>-<id>-v<version>`), so repeated notifications collapse.
 * @param data - the job data.
 * @returns the id.
 */
export function analyzeFeedbackJobId(data: Pick<AnalyzeFeedbackJobData, 'resourceType' | 'id' | 'versionId'>): string {
  return `feedback-${data.resourceType}-${safe(data.id)}-v${safe(data.versionId)}`;
}

function safe(part: string): string {
  return part.replace(/[^A-Za-z0-9.-]/g, '_');
}

/** Adds analyze-feedback jobs. */
export class AnalyzeFeedbackProducer {
  readonly queue: Queue<AnalyzeFeedbackJobData>;

  /**
   * @param connection - a `producer` Redis connection.
   * @param prefix - the BullMQ key prefix (QUEUE_PREFIX).
   */
  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<AnalyzeFeedbackJobData>(ANALYZE_FEEDBACK_QUEUE, { connection, prefix, defaultJobOptions: ANALYZE_FEEDBACK_JOB_OPTIONS });
  }

  /**
   * Enqueues one source version; a second call for the same version returns the existing job's id.
   * @param data - the job data.
   * @param options - a distinct id suffix for a deliberate reprocess.
   * @returns the job id.
   * @throws UpstreamError when Redis cannot take the job.
   */
  async enqueue(data: AnalyzeFeedbackJobData, options: { readonly jobIdSuffix?: string } = {}): Promise<string> {
    const jobId = analyzeFeedbackJobId(data) + (options.jobIdSuffix ? `-${safe(options.jobIdSuffix)}` : '');
    try {
      const job = await this.queue.add(ANALYZE_FEEDBACK_JOB, data, { jobId });
      await rerunIfUnfinished(this.queue as Queue, jobId);
      return job.id ?? jobId;
    } catch (err: unknown) {
      throw new UpstreamError('could not enqueue the feedback', { cause: err });
    }
  }

  /** Closes the queue (not the connection). */
  async close(): Promise<void> {
    await this.queue.close();
  }
}
