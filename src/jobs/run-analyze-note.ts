/**
 * One processing run of a note: the use case, then an AuditEvent saying what came of it — written, unchanged,
 * skipped or failed — with counts and, on failure, the error code (never a message: library messages can quote
 * input). The AuditEvent is best effort: when it cannot be written (often for the very reason the run failed) that
 * is logged and the run's own result or error stands.
 */
import { AppError, CircuitOpenError, LeaseLostError, PartialWriteError, UpstreamError } from '../errors.js';
import { buildAuditEvent, type RunOutcome } from '../provenance/build-audit-event.js';
import { analyzeNote, type AnalyzeNoteDeps, type AnalyzeNoteJobData, type AnalyzeNoteResult } from './analyze-note.job.js';

/** Which attempt of which job this run is. */
export interface RunContext {
  readonly jobId: string | undefined;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
}

/**
 * Runs the use case and records the run.
 * @param data - the job's identifiers.
 * @param deps - the use case's ports.
 * @param run - job id and attempt.
 * @returns the use case's result.
 */
export async function runAnalyzeNote(data: AnalyzeNoteJobData, deps: AnalyzeNoteDeps, run: RunContext): Promise<AnalyzeNoteResult> {
  let result: AnalyzeNoteResult;
  try {
    result = await analyzeNote(data, deps);
  } catch (err: unknown) {
    if (err instanceof LeaseLostError) {
      // Not an outcome: the job runs again under a new lease and that run is recorded.
      deps.log.warn({ err }, 'note lease lost before writing, nothing written; the job runs again');
      throw err;
    }
    if (serverUnavailable(err)) {
      // The AuditEvent would wait on the same hanging or unreachable server a second time: the job's failed reason
      // records this attempt instead.
      deps.log.warn({ err }, 'audit event not written: FHIR server unavailable');
      throw err;
    }
    const retryable = !(err instanceof AppError) || err.retryable;
    await recordRun(data, deps, run, {
      kind: 'failed',
      errorCode: err instanceof AppError ? err.code : 'unexpected',
      retryable: retryable && run.attempt < run.maxAttempts,
      ...(err instanceof PartialWriteError ? { detail: err.message } : {}),
    });
    throw err;
  }
  await recordRun(data, deps, run, toRunOutcome(result));
  return result;
}

function toRunOutcome(result: AnalyzeNoteResult): RunOutcome {
  if (result.outcome === 'skipped') return { kind: 'skipped', reason: result.reason };
  const { outcome, provenances, ...counts } = result;
  return { kind: outcome, counts, provenances: provenances ?? [] };
}

function serverUnavailable(err: unknown): boolean {
  return err instanceof CircuitOpenError || (err instanceof UpstreamError && /timed out|deadline|unreachable/.test(err.message));
}

async function recordRun(data: AnalyzeNoteJobData, deps: AnalyzeNoteDeps, run: RunContext, outcome: RunOutcome): Promise<void> {
  if (deps.auditEvents === false) return;
  try {
    const event = buildAuditEvent({
      noteId: data.noteId,
      versionId: data.versionId,
      jobId: run.jobId,
      attempt: run.attempt,
      pipelineVersion: deps.software.pipelineVersion,
      device: await deps.device(),
      recorded: deps.clock.nowIso(),
      outcome,
    });
    await (deps.step ?? ((_s, fn) => fn()))('audit', () => deps.fhir.createResource(event));
  } catch (err: unknown) {
    deps.log.warn({ err, outcome: outcome.kind }, 'audit event not written');
  }
}
