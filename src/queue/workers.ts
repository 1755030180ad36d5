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
import { runAnalyzeNote, type RunContext } from '../jobs/run-analyze-note.js';
import type { Logger } from '../observability/logger.js';
import { contextFromTraceparent, inSpan } from '../observability/tracing.js';
import { ANALYZE_NOTE_QUEUE } from './analyze-note.queue.js';
import { NOTE_LEASE_MS, type NoteLease, type NoteLocks } from './document-lock.js';
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
  return startLeasedWorker<AnalyzeNoteJobData, AnalyzeNoteResult>(
    {
      queueName: ANALYZE_NOTE_QUEUE,
      lockKey: (data) => data.noteId,
      logContext: (data) => ({ note: `DocumentReference/${data.noteId}`, versionId: data.versionId }),
      run: (data, log, fence, run) => runAnalyzeNote(data, { ...options.deps, log, fence }, run),
    },
    options
  );
}

/** What a queue's jobs need from the leased worker: the queue, the lease key, log context and the run itself. */
export interface LeasedJobSpec<D extends { readonly requestId: string }, R> {
  readonly queueName: string;
  /** The per-document lease key (a note id; `<Type>-<id>` for other sources): two runs of a source never interleave. */
  lockKey(data: D): string;
  /** Ids bound to the job's logger (never text). */
  logContext(data: D): Record<string, string>;
  /** Runs the use case under the lease. */
  run(data: D, log: Logger, fence: NoteLease, run: RunContext): Promise<R>;
}

/**
 * Starts a worker whose jobs run under a per-document lease, with the note worker's failure classification.
 * @param spec - the queue and its use case.
 * @param options - connection, concurrency, locks, circuit and logger (`deps` unused here).
 * @returns the running worker.
 */
export function startLeasedWorker<D extends { readonly requestId: string }, R>(
  spec: LeasedJobSpec<D, R>,
  options: Omit<AnalyzeNoteWorkerOptions, 'deps'>
): Worker<D, R> {
  const worker = new Worker<D, R>(
    spec.queueName,
    (job, token) => processJob(job, token, spec, options),
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

/** One trace per document: the job's span continues the notification's trace (its `traceparent` in the job data). */
function processJob<D extends { readonly requestId: string }, R>(
  job: Job<D, R>,
  token: string | undefined,
  spec: LeasedJobSpec<D, R>,
  options: Omit<AnalyzeNoteWorkerOptions, 'deps'>
): Promise<R> {
  const attributes = { 'messaging.destination.name': spec.queueName, 'messaging.message.id': job.id ?? '', 'chartmine.attempt': job.attemptsMade + 1 };
  const traceparent = (job.data as { readonly traceparent?: string }).traceparent;
  return inSpan(`job ${job.name}`, attributes, () => processJobInSpan(job, token, spec, options), contextFromTraceparent(traceparent));
}

async function processJobInSpan<D extends { readonly requestId: string }, R>(
  job: Job<D, R>,
  token: string | undefined,
  spec: LeasedJobSpec<D, R>,
  options: Omit<AnalyzeNoteWorkerOptions, 'deps'>
): Promise<R> {
  const log = options.log.child({
    jobId: job.id,
    requestId: job.data.requestId,
    ...spec.logContext(job.data),
    attempt: job.attemptsMade + 1,
  });
  const lockKey = spec.lockKey(job.data);
  const circuitRetryAt = options.circuit?.retryAt();
  if (circuitRetryAt !== undefined) {
    log.debug('FHIR circuit open, job delayed');
    return await delay(job, token, circuitRetryAt - Date.now());
  }
  const lease = await options.locks.tryAcquire(lockKey);
  if (!lease) {
    // Another run holds the note (or a dead worker's lease has not expired yet): wait, doubling, at most until the
    // lease would expire. attemptsStarted counts these waits; attemptsMade does not.
    const waits = Math.max(0, (job.attemptsStarted ?? 1) - job.attemptsMade - 1);
    const remaining = await options.locks.remainingMs(lockKey);
    log.debug({ waits }, 'note busy, job delayed');
    return await delay(job, token, Math.min(NOTE_BUSY_DELAY_MS * 2 ** Math.min(waits, 10), Math.max(remaining, NOTE_BUSY_DELAY_MS), NOTE_LEASE_MS));
  }
  try {
    return await spec.run(job.data, log, lease, { jobId: job.id, attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 });
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
async function delay<D, R>(job: Job<D, R>, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + Math.max(0, ms) + Math.floor(Math.random() * JITTER_MS), token);
  throw new DelayedError();
}
