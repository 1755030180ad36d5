/**
 * The analyze-note worker: BullMQ job → per-note lock → the use case. It only adds job context, holds the lock and
 * classifies failures: not retryable → UnrecoverableError (failed at once, kept with its reason); note busy → put
 * back as delayed without spending an attempt; anything else → retried with backoff.
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { AnalyzeNoteDeps, AnalyzeNoteJobData, AnalyzeNoteResult } from '../jobs/analyze-note.job.js';
import { runAnalyzeNote } from '../jobs/run-analyze-note.js';
import type { Logger } from '../observability/logger.js';
import { ANALYZE_NOTE_QUEUE } from './analyze-note.queue.js';
import type { NoteLocks } from './document-lock.js';
import { toFailureOutcome } from './failure-reason.js';

/** How long a job waits before trying a busy note again. */
export const NOTE_BUSY_DELAY_MS = 1_000;

/** Worker settings. */
export interface AnalyzeNoteWorkerOptions {
  readonly connection: Redis;
  readonly prefix: string;
  readonly concurrency: number;
  readonly locks: NoteLocks;
  readonly deps: AnalyzeNoteDeps;
  readonly log: Logger;
  /** Handles the worker's `error` events (default: log each); the server routes Redis outages to one status. */
  readonly onError?: (err: Error) => void;
}

/**
 * Starts a worker on the analyze-note queue.
 * @param options - connection, concurrency, locks and the use case's ports.
 * @returns the running worker (close it to drain).
 */
export function startAnalyzeNoteWorker(options: AnalyzeNoteWorkerOptions): Worker<AnalyzeNoteJobData, AnalyzeNoteResult> {
  const worker = new Worker<AnalyzeNoteJobData, AnalyzeNoteResult>(
    ANALYZE_NOTE_QUEUE,
    (job, token) => processJob(job, token, options),
    { connection: options.connection, prefix: options.prefix, concurrency: options.concurrency }
  );
  worker.on('error', (err) => (options.onError ? options.onError(err) : options.log.error({ err }, 'worker error')));
  worker.on('failed', (job, err) => {
    if (!job) return;
    options.log.warn(
      { jobId: job.id, attemptsMade: job.attemptsMade, final: job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError },
      'job failed'
    );
  });
  return worker;
}

async function processJob(
  job: Job<AnalyzeNoteJobData, AnalyzeNoteResult>,
  token: string | undefined,
  options: AnalyzeNoteWorkerOptions
): Promise<AnalyzeNoteResult> {
  const log = options.log.child({
    jobId: job.id,
    requestId: job.data.requestId,
    note: `DocumentReference/${job.data.noteId}`,
    versionId: job.data.versionId,
    attempt: job.attemptsMade + 1,
  });
  const release = await options.locks.tryAcquire(job.data.noteId);
  if (!release) {
    log.debug('note busy, job delayed');
    await job.moveToDelayed(Date.now() + NOTE_BUSY_DELAY_MS, token);
    throw new DelayedError();
  }
  try {
    return await runAnalyzeNote(job.data, { ...options.deps, log }, { jobId: job.id, attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 });
  } catch (err: unknown) {
    const reason = JSON.stringify(toFailureOutcome(err));
    if (err instanceof AppError && !err.retryable) {
      log.warn({ err }, 'job failed permanently');
      throw new UnrecoverableError(reason);
    }
    log.warn({ err }, 'job failed, will retry');
    throw new Error(reason);
  } finally {
    await release().catch((err: unknown) => log.warn({ err }, 'note lock release failed'));
  }
}
