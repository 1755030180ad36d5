/**
 * The analyze-feedback worker: the note worker's machinery (per-source lease with fencing, circuit-breaker and
 * busy delays, failure classification) around the feedback use case. The lease key is the source key, so a feedback
 * DocumentReference shares its lease with the note job that handed it over.
 */
import type { Worker } from 'bullmq';
import { feedbackSourceKey } from '../feedback/feedback-source.js';
import type { AnalyzeFeedbackDeps, AnalyzeFeedbackJobData, AnalyzeFeedbackResult } from '../jobs/analyze-feedback.job.js';
import { runAnalyzeFeedback } from '../jobs/run-analyze-feedback.js';
import { ANALYZE_FEEDBACK_QUEUE } from './analyze-feedback.queue.js';
import { startLeasedWorker, type AnalyzeNoteWorkerOptions } from './workers.js';

/** Worker settings: the note worker's, with the feedback use case's ports. */
export type AnalyzeFeedbackWorkerOptions = Omit<AnalyzeNoteWorkerOptions, 'deps'> & { readonly deps: AnalyzeFeedbackDeps };

/**
 * Starts a worker on the analyze-feedback queue.
 * @param options - connection, concurrency, locks and the use case's ports.
 * @returns the running worker (close it to drain).
 */
export function startAnalyzeFeedbackWorker(options: AnalyzeFeedbackWorkerOptions): Worker<AnalyzeFeedbackJobData, AnalyzeFeedbackResult> {
  return startLeasedWorker<AnalyzeFeedbackJobData, AnalyzeFeedbackResult>(
    {
      queueName: ANALYZE_FEEDBACK_QUEUE,
      lockKey: (data) => feedbackSourceKey(data.resourceType, data.id),
      logContext: (data) => ({ source: `${data.resourceType}/${data.id}`, versionId: data.versionId }),
      run: (data, log, fence, run) => runAnalyzeFeedback(data, { ...options.deps, log, fence }, run),
    },
    options
  );
}
