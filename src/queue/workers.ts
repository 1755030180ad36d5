/**
 * The analyze-note worker: BullMQ job → per-note lease → the use case. It only adds job context, holds the lease
 * (renewed while the job runs; its fencing token guards every write) and classifies failures: not retryable →
 * UnrecoverableError (failed at once, kept with its reason); note busy or FHIR circuit open → put back as delayed
 * (BullMQ `moveToDelayed` + DelayedError) without spending an attempt; anything else → retried with backoff.
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppError, CircuitOpenError, LeaseLostError } from '../errors.js';
import type { AnalyzeNoteDeps, AnalyzeNoteJobData, AnalyzeNoteResult } from '../jobs/analyze-note.job.js';
import { runAnalyzeNote } from '../jobs/run-analyze-note.js';
import type { Logger } from '../observability/logger.js';
import { contextFromTraceparent, inSpan } from '../observability/tracing.js';
import { ANALYZE_NOTE_QUEUE } from './analyze-note.queue.js';
import { NOTE_LEASE_MS, type NoteLocks } from './document-lock.js';
import { toFailureOutcome } from './failure-reason.js';

/** First wait of a job whose note is busy; doubled on each further wait, never past the holder's lease. */
export const NOTE_BUSY_DELAY_MS = 500;
/** BullMQ's job lock (renewed at half of it while the job runs). */
export const JOB_LOCK_MS = 15_000;
/** How often BullMQ looks for jobs whose worker died. */
export const STALLED_CHECK_MS = 5_000;
/** Spread of delayed jobs, so jobs put back together do not all come back in the same millisecond. */
const JITTER_MS = 250;

/** Worker settings. */
export interface AnalyzeNoteWorkerOptions {
  readonly connection: Redis;
  readonly prefix: string;
  readonly concurrency: number;
  readonly locks: NoteLocks;
  readonly deps: AnalyzeNoteDeps;
  readonly log: Logger;
  /** The FHIR server's circuit breaker: while open, jobs wait (delayed) instead of spending attempts. */
  readonly circuit?: { retryAt(): number | undefined };
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
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      // A killed worker's active jobs are found stalled and retaken within about 20 s (BullMQ's default is up to a
      // minute); a job may stall a few times (crash loops) before BullMQ fails it.
      lockDuration: JOB_LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
      maxStalledCount: 5,
    }
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

/** One trace per note: the job's span continues the notification's trace (its `traceparent` in the job data). */
function processJob(job: Job<AnalyzeNoteJobData, AnalyzeNoteResult>, token: string | undefined, options: AnalyzeNoteWorkerOptions): Promise<AnalyzeNoteResult> {
  const attributes = { 'messaging.destination.name': ANALYZE_NOTE_QUEUE, 'messaging.message.id': job.id ?? '', 'chartmine.attempt': job.attemptsMade + 1 };
  return inSpan(`job ${job.name}`, attributes, () => processJobInSpan(job, token, options), contextFromTraceparent(job.data.traceparent));
}

async function processJobInSpan(
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
  const circuitRetryAt = options.circuit?.retryAt();
  if (circuitRetryAt !== undefined) {
    log.debug('FHIR circuit open, job delayed');
    return await delay(job, token, circuitRetryAt - Date.now());
  }
  const lease = await options.locks.tryAcquire(job.data.noteId);
  if (!lease) {
    // Another run holds the note (or a dead worker's lease has not expired yet): wait, doubling, at most until the
    // lease would expire. attemptsStarted counts these waits; attemptsMade does not.
    const waits = Math.max(0, (job.attemptsStarted ?? 1) - job.attemptsMade - 1);
    const remaining = await options.locks.remainingMs(job.data.noteId);
    log.debug({ waits }, 'note busy, job delayed');
    return await delay(job, token, Math.min(NOTE_BUSY_DELAY_MS * 2 ** Math.min(waits, 10), Math.max(remaining, NOTE_BUSY_DELAY_MS), NOTE_LEASE_MS));
  }
  try {
    return await runAnalyzeNote(
      job.data,
      { ...options.deps, log, fence: lease },
      { jobId: job.id, attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 }
    );
  } catch (err: unknown) {
    if (err instanceof CircuitOpenError) {
      log.warn({ err }, 'FHIR circuit opened during the job, job delayed');
      return await delay(job, token, err.retryAtMs - Date.now());
    }
    if (err instanceof LeaseLostError) {
      // It wrote nothing after losing the lease; it runs again from the start (superseded if the note changed).
      return await delay(job, token, NOTE_BUSY_DELAY_MS);
    }
    const reason = JSON.stringify(toFailureOutcome(err));
    if (err instanceof AppError && !err.retryable) {
      log.warn({ err }, 'job failed permanently');
      throw new UnrecoverableError(reason);
    }
    log.warn({ err }, 'job failed, will retry');
    throw new Error(reason);
  } finally {
    await lease.release().catch((err: unknown) => log.warn({ err }, 'note lease release failed'));
  }
}

/** Puts the job back as delayed without spending an attempt. */
async function delay(job: Job<AnalyzeNoteJobData, AnalyzeNoteResult>, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + Math.max(0, ms) + Math.floor(Math.random() * JITTER_MS), token);
  throw new DelayedError();
}
