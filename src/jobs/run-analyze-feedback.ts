/** One processing run of a feedback version, recorded with an AuditEvent like a note's run. */
import { feedbackSourceKey } from '../feedback/feedback-source.js';
import type { RunOutcome } from '../provenance/build-audit-event.js';
import { analyzeFeedback, type AnalyzeFeedbackDeps, type AnalyzeFeedbackJobData, type AnalyzeFeedbackResult } from './analyze-feedback.job.js';
import { runRecorded, type RunContext } from './run-analyze-note.js';

/**
 * Runs the feedback use case and records the run.
 * @param data - the job's identifiers.
 * @param deps - the use case's ports.
 * @param run - job id and attempt.
 * @returns the use case's result.
 */
export async function runAnalyzeFeedback(data: AnalyzeFeedbackJobData, deps: AnalyzeFeedbackDeps, run: RunContext): Promise<AnalyzeFeedbackResult> {
  const source = {
    noteId: feedbackSourceKey(data.resourceType, data.id),
    versionId: data.versionId,
    ...(data.resourceType !== 'DocumentReference' ? { source: { resourceType: data.resourceType, id: data.id } } : {}),
  };
  return runRecorded(source, deps, run, () => analyzeFeedback(data, deps), toRunOutcome);
}

function toRunOutcome(result: AnalyzeFeedbackResult): RunOutcome {
  if (result.outcome === 'skipped') return { kind: 'skipped', reason: result.reason };
  const { outcome, provenances, skippedItems: _skipped, ...counts } = result;
  return { kind: outcome, counts, provenances: provenances ?? [] };
}
