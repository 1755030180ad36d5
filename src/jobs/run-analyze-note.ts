/**
 * One processing run of a note: the use case, then an AuditEvent saying what came of it — written, unchanged,
 * skipped or failed — with counts and, on failure, the error code (never a message: library messages can quote
 * input). The AuditEvent is best effort: when it cannot be written (often for the very reason the run failed) that
 * is logged and the run's own result or error stands. Feedback runs are recorded the same way (`runRecorded`).
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

/** What the AuditEvent of a run names: the source (a note id, or another resource) and its version. */
export interface RecordedSource {
  readonly noteId: string;
  readonly versionId: string;
  readonly source?: { readonly resourceType: string; readonly id: string };
}

/** The ports recording needs. */
export type RecordDeps = Pick<AnalyzeNoteDeps, 'fhir' | 'software' | 'device' | 'auditEvents' | 'clock' | 'log' | 'step'>;

/**
 * Runs the use case and records the run.
 * @param data - the job's identifiers.
 * @param deps - the use case's ports.
 * @param run - job id and attempt.
 * @returns the use case's result.
 */
export async function runAnalyzeNote(data: AnalyzeNoteJobData, deps: AnalyzeNoteDeps, run: RunContext): Promise<AnalyzeNoteResult> {
  return runRecorded(data, deps, run, () => analyzeNote(data, deps), toRunOutcome);
}

/**
 * Runs a use case and records it with an AuditEvent (best effort).
 * @param source - what the AuditEvent names.
 * @param deps - gateway, software, device, clock and logger.
 * @param run - job id and attempt.
 * @param exec - the use case.
 * @param toOutcome - its result as a run outcome.
 * @returns the use case's result.
 */
export async function runRecorded<R>(
  source: RecordedSource,
  deps: RecordDeps,
  run: RunContext,
  exec: () => Promise<R>,
  toOutcome: (result: R) => RunOutcome
): Promise<R> {
  let result: R;
  try {
    result = await exec();
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
    await recordRun(source, deps, run, {
      kind: 'failed',
      errorCode: err instanceof AppError ? err.code : 'unexpected',
      retryable: retryable && run.attempt < run.maxAttempts,
      ...(err instanceof PartialWriteError ? { detail: err.message } : {}),
    });
    throw err;
  }
  await recordRun(source, deps, run, toOutcome(result));
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

async function recordRun(source: RecordedSource, deps: RecordDeps, run: RunContext, outcome: RunOutcome): Promise<void> {
  if (deps.auditEvents === false) return;
  try {
    const event = buildAuditEvent({
      noteId: source.noteId,
      ...(source.source ? { source: source.source } : {}),
      versionId: source.versionId,
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
