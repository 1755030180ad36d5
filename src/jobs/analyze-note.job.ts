/**
 * The use case: one note version in, its coded findings out. Reads the note, decides what its life asks for
 * (analyse it, retract what was derived from it, or leave it), maps, diffs against what the server already has and
 * writes the difference with a Provenance, then stamps the Provenance with the versions the server assigned. Runs
 * inside the worker's per-note lock.
 *
 * The life of a note:
 * - deleted, `status` or `docStatus` entered-in-error → every finding derived from it is retracted;
 * - replaced by a newer note (another DocumentReference `relatesTo` replaces it) → retracted likewise;
 * - `status` superseded but no successor here yet → left as it is, until the successor arrives and retracts it;
 * - `docStatus` preliminary → skipped unless PROCESS_PRELIMINARY (what exists is left as it is);
 * - otherwise analysed; a note that replaces others also retracts theirs, in its own transaction.
 */
import type { Bundle, Device, DocumentReference, Provenance, Reference, Resource } from '@medplum/fhirtypes';
import type { WithId } from '@medplum/core';
import { MissingSubjectError, NoteMissingError, UpstreamRejectedError, VersionNotAvailableError } from '../errors.js';
import type { DesiredFinding, MappingOptions, NoteVersion } from '../fhir/finding-types.js';
import type { FhirGateway, NoteRead } from '../fhir/gateway.js';
import { isFeedbackDocument } from '../feedback/feedback-source.js';
import { mapFindings } from '../fhir/map-findings.js';
import { readNoteText } from '../fhir/note-text.js';
import { DELETED_VERSION } from '../ingest/note-event.js';
import { planWriteBack } from '../fhir/write-back.js';
import { UNTIMED_STAGE, type NlpPipeline, type StageRunner } from '../nlp/types.js';
import type { Logger } from '../observability/logger.js';
import { repairPendingProvenance, stampProvenance } from '../provenance/build-provenance.js';
import type { RunCounts } from '../provenance/build-audit-event.js';
import type { SoftwareInfo } from '../provenance/software.js';
import { assertWholeTransaction } from './undo-partial-write.js';
import { pendingProvenanceParams, readBeforeWrite } from './read-before-write.js';

/** What a job carries across Redis: identifiers only, never text. */
export interface AnalyzeNoteJobData {
  readonly noteId: string;
  readonly versionId: string;
  /** Correlates the job with the request or event that caused it. */
  readonly requestId: string;
  /** W3C trace context of the notification, when tracing is on (an id, not PHI): the job's span continues it. */
  readonly traceparent?: string;
}

/** The ports the use case needs. */
export interface AnalyzeNoteDeps {
  readonly fhir: FhirGateway;
  readonly nlp: NlpPipeline;
  readonly software: SoftwareInfo;
  /** The pipeline Device, created once per process. */
  readonly device: () => Promise<Reference<Device>>;
  readonly mapping: Omit<MappingOptions, 'pipelineVersion'>;
  readonly maxDocumentBytes: number;
  /** Analyse notes whose docStatus is preliminary (PROCESS_PRELIMINARY)? Default no. */
  readonly processPreliminary?: boolean;
  /** Write an AuditEvent per run (AUDIT_EVENTS)? Default yes. */
  readonly auditEvents?: boolean;
  readonly clock: { nowIso(): string };
  readonly log: Logger;
  /**
   * The run's lease on the note (the worker holds it): checked right before every write, so a run that lost it
   * (stalled past the lease, Redis unreachable) never writes after a later run took over.
   */
  readonly fence?: { assertHeld(): Promise<void> };
  /** Runs one step (`read`, `write`, `audit`) under its own deadline; default: no step deadline. */
  readonly step?: StepRunner;
  /** Wraps each stage (read, the pipeline's, mapping, write) for metrics and tracing; default: runs it. */
  readonly stage?: StageRunner;
  /**
   * Queues a patient-feedback DocumentReference (Chartmine type `patient-feedback`) for the feedback pipeline. Without
   * it such a document is skipped (`feedback-document`): it is never analysed as a clinical note.
   */
  readonly handOffFeedback?: (noteId: string, versionId: string, requestId: string) => Promise<void>;
}

/** The steps of a run that talk to the FHIR server, each under one deadline. */
export type JobStep = 'read' | 'write' | 'audit';
/** Runs a step under its deadline. */
export type StepRunner = <T>(step: JobStep, fn: () => Promise<T>) => Promise<T>;

const NO_DEADLINE: StepRunner = (_step, fn) => fn();

/** Why a run wrote nothing and left the note's findings as they were. */
export type SkipReason = 'superseded' | 'preliminary' | 'awaiting-successor' | 'feedback-document';

/** What happened, returned as the job's result (ids and counts only). */
export type AnalyzeNoteResult =
  | { readonly outcome: 'skipped'; readonly reason: SkipReason }
  | (RunCounts & {
      readonly outcome: 'written' | 'unchanged';
      /** The Provenances written (`Provenance/<id>`). */
      readonly provenances?: readonly string[];
    });

/** What to do with the note version read. */
type Decision =
  | { readonly kind: 'skip'; readonly reason: SkipReason }
  | { readonly kind: 'retract'; readonly version: NoteVersion; readonly reason: string }
  | { readonly kind: 'analyze'; readonly note: WithId<DocumentReference>; readonly version: NoteVersion };

/**
 * Analyses one note version and writes its findings.
 * @param data - the job's identifiers.
 * @param deps - the ports.
 * @returns what was done.
 */
export async function analyzeNote(data: AnalyzeNoteJobData, deps: AnalyzeNoteDeps): Promise<AnalyzeNoteResult> {
  return analyzeNoteFenced(data, deps);
}

async function analyzeNoteFenced(data: AnalyzeNoteJobData, deps: AnalyzeNoteDeps): Promise<AnalyzeNoteResult> {
  const started = performance.now();
  const step = deps.step ?? NO_DEADLINE;
  const stage = deps.stage ?? UNTIMED_STAGE;
  const decision = await stage('read', () => step('read', () => decide(data, deps)));
  if (decision.kind === 'skip') {
    deps.log.info({ reason: decision.reason }, 'note skipped');
    return { outcome: 'skipped', reason: decision.reason };
  }
  let version = decision.version;
  let desired: DesiredFinding[] = [];
  let mentions = 0;
  let superseded: { noteId: string; resources: Resource[] }[] = [];
  let noteText: { text: string; path: string } | undefined;
  if (decision.kind === 'analyze') {
    const note = decision.note;
    noteText = await stage('read', () => step('read', () => readNoteText(note, (url, max) => deps.fhir.readAttachment(url, max), deps.maxDocumentBytes)));
    const text = noteText.text;
    const result = await deps.nlp.analyze(text, { stage });
    mentions = result.mentions.length;
    version = { ...version, attachmentPath: noteText.path };
    const analysed = version;
    desired = stage('mapping', () => mapFindings(analysed, text, result, { ...deps.mapping, pipelineVersion: deps.software.pipelineVersion }));
  }
  return stage('write', () => step('write', async () => {
    // Fenced: the lease is still ours and the note is still the version analysed, or nothing is written.
    await deps.fence?.assertHeld();
    const replaced = decision.kind === 'analyze' ? replacedNotes(decision.note) : [];
    const reads = await readBeforeWrite(deps.fhir, data.noteId, replaced, (note) => isStillCurrent(note, data, decision));
    if (!reads) {
      deps.log.info({ reason: 'superseded' }, 'note changed during the run, nothing written');
      return { outcome: 'skipped', reason: 'superseded' } as const;
    }
    await repairPendingProvenances(data.noteId, deps, reads.batched?.pending);
    superseded = reads.batched?.superseded ?? (await Promise.all(replaced.map(async (noteId) => ({ noteId, resources: await deps.fhir.readDerived(noteId) }))));
    const existing = reads.batched?.existing ?? (await deps.fhir.readDerived(data.noteId));
    const device = await deps.device();
    const recorded = deps.clock.nowIso();
    const plan = stage('plan', () =>
      planWriteBack({
        note: version,
        desired,
        existing,
        software: deps.software,
        device,
        recorded,
        ...(decision.kind === 'retract' ? { retractionReason: decision.reason } : {}),
        ...(superseded.length > 0 ? { superseded } : {}),
      })
    );
    const before = [...existing, ...superseded.flatMap((s) => s.resources)];
    const provenances: string[] = [];
    for (const bundle of plan.bundles) {
      await deps.fence?.assertHeld();
      const response = await deps.fhir.executeTransaction(bundle);
      await assertWholeTransaction(bundle, response, before, deps);
      provenances.push(await stampWritten(bundle, response, deps));
    }
    const counts = {
      mentions,
      created: plan.created,
      updated: plan.updated,
      retracted: plan.retracted,
      unchanged: plan.unchanged,
      keptReviewed: plan.keptReviewed,
      transactions: plan.bundles.length,
    };
    deps.log.info({ ...counts, ms: Math.round(performance.now() - started) }, 'note analyzed');
    return { outcome: plan.bundles.length > 0 ? ('written' as const) : ('unchanged' as const), ...counts, provenances: provenances.filter(Boolean) };
  }));
}

/**
 * Inside the write step: the lease is still this run's, and the server still serves the version this run decided
 * on (a newer version, or a deletion, has its own job).
 */
function isStillCurrent(read: NoteRead, data: AnalyzeNoteJobData, decision: Exclude<Decision, { kind: 'skip' }>): boolean {
  if (read.state === 'deleted') return decision.kind === 'retract' && decision.version.versionId === '';
  if (read.state === 'missing') throw new NoteMissingError(`DocumentReference/${data.noteId}`);
  return decision.version.versionId !== '' && read.note.meta?.versionId === data.versionId;
}

/**
 * A job for a version other than the current one: an older version is superseded; a version the server does not
 * serve (yet: read replicas lag notifications, or the notification came first) is retried with backoff.
 */
async function isOlderVersion(noteId: string, versionId: string, currentVersionId: string, deps: AnalyzeNoteDeps): Promise<boolean> {
  if (/^\d{1,15}$/.test(versionId) && /^\d{1,15}$/.test(currentVersionId)) {
    return Number(versionId) < Number(currentVersionId);
  }
  // Opaque version ids (Medplum uses UUIDs): an older version is one the server's history has.
  if (!deps.fhir.hasNoteVersion) return true;
  return deps.fhir.hasNoteVersion(noteId, versionId);
}

async function decide(data: AnalyzeNoteJobData, deps: AnalyzeNoteDeps): Promise<Decision> {
  const read = await deps.fhir.readNote(data.noteId);
  // Not a success: the job fails with its reason (after retries, in case the server lags) and is kept.
  if (read.state === 'missing') throw new NoteMissingError(`DocumentReference/${data.noteId}`);
  if (read.state === 'deleted') {
    return { kind: 'retract', version: deletedNoteVersion(data.noteId), reason: `DocumentReference/${data.noteId} was deleted` };
  }
  const note = read.note;
  const current = note.meta?.versionId ?? '';
  // A deletion's job (version `deleted`) for a note that exists again: the note's newer job handles it.
  if (data.versionId === DELETED_VERSION) return { kind: 'skip', reason: 'superseded' };
  if (current !== data.versionId) {
    // An older version: the newer one has its own job, so this one must not write stale findings.
    if (await isOlderVersion(data.noteId, data.versionId, current, deps)) return { kind: 'skip', reason: 'superseded' };
    throw new VersionNotAvailableError(`DocumentReference/${data.noteId}`, data.versionId, current);
  }
  const version = toNoteVersion(note, 'DocumentReference.content[0].attachment');
  if (note.status === 'entered-in-error' || note.docStatus === 'entered-in-error') {
    return { kind: 'retract', version, reason: `DocumentReference/${note.id} version ${data.versionId} is entered-in-error` };
  }
  if (isFeedbackDocument(note)) {
    // Patient feedback, not a clinical note: the feedback job analyses it (and retracts, since both tag by note id).
    await deps.handOffFeedback?.(note.id, data.versionId, data.requestId);
    return { kind: 'skip', reason: 'feedback-document' };
  }
  const successor = await findSuccessor(note.id, deps);
  if (successor) {
    return { kind: 'retract', version, reason: `DocumentReference/${note.id} superseded by ${successor}` };
  }
  if (note.status === 'superseded') return { kind: 'skip', reason: 'awaiting-successor' };
  if (note.docStatus === 'preliminary' && !deps.processPreliminary) return { kind: 'skip', reason: 'preliminary' };
  return { kind: 'analyze', note, version };
}

/** A current note that replaces this one (`relatesTo` replaces), if the server has one. */
async function findSuccessor(noteId: string, deps: AnalyzeNoteDeps): Promise<string | undefined> {
  let candidates: Resource[];
  try {
    candidates = await deps.fhir.searchAll('DocumentReference', [['relatesto', `DocumentReference/${noteId}`]]);
  } catch (err: unknown) {
    if (err instanceof UpstreamRejectedError) {
      // A server without the `relatesto` search parameter: supersession is then seen only from the successor's side.
      deps.log.warn({ err }, 'relatesto search refused');
      return undefined;
    }
    throw err;
  }
  const successor = (candidates as DocumentReference[]).find(
    (d) =>
      d.id !== noteId &&
      d.status === 'current' &&
      (d.relatesTo ?? []).some((r) => r.code === 'replaces' && referencedNoteId(r.target?.reference) === noteId)
  );
  return successor ? `DocumentReference/${successor.id}` : undefined;
}

/** The notes this one replaces (relative references only: another server's notes are not ours to retract). */
export function replacedNotes(note: DocumentReference): string[] {
  const ids = (note.relatesTo ?? [])
    .filter((r) => r.code === 'replaces')
    .map((r) => referencedNoteId(r.target?.reference))
    .filter((id): id is string => !!id && id !== note.id);
  return [...new Set(ids)];
}

function referencedNoteId(reference: string | undefined): string | undefined {
  const match = reference ? /^DocumentReference\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(reference) : null;
  return match?.[1];
}

/** Stamps the Provenance of a committed transaction with versioned targets; returns its reference. */
export async function stampWritten(request: Bundle, response: Bundle, deps: Pick<AnalyzeNoteDeps, 'fhir' | 'log'>): Promise<string> {
  const update = stampProvenance(request, response);
  if (!update) {
    // The server's answer did not give every version: the Provenance stays pending; the next run repairs it.
    deps.log.warn('transaction answer without versions, provenance left pending');
    return '';
  }
  await deps.fhir.updateResource(update.resource, update.ifMatchVersion);
  return `Provenance/${update.resource.id}`;
}

/** Stamps Provenances an earlier run wrote but did not get to stamp (it stopped between the two writes). */
export async function repairPendingProvenances(
  noteId: string,
  deps: Pick<AnalyzeNoteDeps, 'fhir' | 'log'>,
  found?: readonly (Provenance & { id: string })[]
): Promise<void> {
  const pending = found ?? ((await deps.fhir.searchAll('Provenance', pendingProvenanceParams(noteId))) as (Provenance & { id: string })[]);
  for (const provenance of pending) {
    const histories = new Map<string, Resource[]>();
    for (const target of provenance.target ?? []) {
      const [type, id, history] = (target.reference ?? '').split('/');
      if (type && id && !history) histories.set(`${type}/${id}`, await deps.fhir.readHistory(type, id));
    }
    const update = repairPendingProvenance(provenance, histories);
    if (update) {
      await deps.fhir.updateResource(update.resource, update.ifMatchVersion);
      deps.log.info({ provenance: `Provenance/${provenance.id}` }, 'pending provenance stamped');
    }
  }
}

/** A deleted note has no version left to read: its retraction names the note without a version. */
function deletedNoteVersion(noteId: string): NoteVersion {
  return { id: noteId, versionId: '', subject: { reference: '' }, attachmentPath: '', status: 'entered-in-error' };
}

/**
 * The parts of a DocumentReference the mapping needs.
 * @param note - the DocumentReference as read.
 * @param attachmentPath - FHIRPath of the analysed attachment.
 * @param receivedAt - when the note was seen, for a note without `meta.lastUpdated` (`chartmine extract`).
 * @returns the note version.
 * @throws MissingSubjectError when the note has no subject.
 */
export function toNoteVersion(note: WithId<DocumentReference>, attachmentPath: string, receivedAt?: string): NoteVersion {
  if (!note.subject?.reference) {
    throw new MissingSubjectError(`DocumentReference/${note.id}`);
  }
  const lastUpdated = note.meta?.lastUpdated ?? receivedAt;
  return {
    id: note.id,
    versionId: note.meta?.versionId ?? '',
    subject: { reference: note.subject.reference },
    ...(note.context?.encounter?.[0]?.reference ? { encounter: { reference: note.context.encounter[0].reference } } : {}),
    ...(note.date || note.context?.period?.start ? { date: note.date ?? note.context?.period?.start } : {}),
    ...(lastUpdated ? { lastUpdated } : {}),
    attachmentPath,
    status: note.status,
  };
}
