/**
 * The use case: one note version in, its coded findings out. Reads the note, runs the pipeline, maps, diffs against
 * what the server already has and writes the difference with a Provenance. Runs inside the worker's per-note lock.
 */
import type { DocumentReference, Reference, Device } from '@medplum/fhirtypes';
import type { WithId } from '@medplum/core';
import { MissingSubjectError } from '../errors.js';
import type { DesiredFinding, MappingOptions, NoteVersion } from '../fhir/finding-types.js';
import type { FhirGateway } from '../fhir/gateway.js';
import { mapFindings } from '../fhir/map-findings.js';
import { readNoteText } from '../fhir/note-text.js';
import { planWriteBack } from '../fhir/write-back.js';
import type { NlpPipeline } from '../nlp/types.js';
import type { Logger } from '../observability/logger.js';
import type { SoftwareInfo } from '../provenance/software.js';

/** What a job carries across Redis: identifiers only, never text. */
export interface AnalyzeNoteJobData {
  readonly noteId: string;
  readonly versionId: string;
  /** Correlates the job with the request or event that caused it. */
  readonly requestId: string;
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
  readonly clock: { nowIso(): string };
  readonly log: Logger;
}

/** What happened, returned as the job's result (ids and counts only). */
export type AnalyzeNoteResult =
  | { readonly outcome: 'skipped'; readonly reason: 'missing' | 'superseded' }
  | {
      readonly outcome: 'written' | 'unchanged';
      readonly mentions: number;
      readonly created: number;
      readonly updated: number;
      readonly retracted: number;
      readonly unchanged: number;
      readonly transactions: number;
    };

/**
 * Analyses one note version and writes its findings.
 * @param data - the job's identifiers.
 * @param deps - the ports.
 * @returns what was done.
 */
export async function analyzeNote(data: AnalyzeNoteJobData, deps: AnalyzeNoteDeps): Promise<AnalyzeNoteResult> {
  const started = performance.now();
  const read = await deps.fhir.readNote(data.noteId);
  if (read.state === 'missing') {
    deps.log.info({ reason: 'missing' }, 'note skipped');
    return { outcome: 'skipped', reason: 'missing' };
  }
  if (read.state === 'found' && read.note.meta?.versionId !== data.versionId) {
    // A newer version exists; its own job analyses it, so this one must not write stale findings.
    deps.log.info({ reason: 'superseded', currentVersionId: read.note.meta?.versionId }, 'note skipped');
    return { outcome: 'skipped', reason: 'superseded' };
  }
  let version: NoteVersion;
  let desired: DesiredFinding[] = [];
  let mentions = 0;
  let reason: string | undefined;
  if (read.state === 'deleted') {
    version = deletedNoteVersion(data.noteId);
    reason = `DocumentReference/${data.noteId} was deleted`;
  } else {
    const note = read.note;
    version = toNoteVersion(note, 'DocumentReference.content[0].attachment');
    if (note.status === 'entered-in-error' || note.docStatus === 'entered-in-error') {
      reason = `DocumentReference/${note.id} version ${data.versionId} is entered-in-error`;
    } else {
      const noteText = await readNoteText(note, (url, max) => deps.fhir.readAttachment(url, max), deps.maxDocumentBytes);
      const result = await deps.nlp.analyze(noteText.text);
      mentions = result.mentions.length;
      version = { ...version, attachmentPath: noteText.path };
      desired = mapFindings(version, noteText.text, result, { ...deps.mapping, pipelineVersion: deps.software.pipelineVersion });
    }
  }
  const existing = await deps.fhir.readDerived(data.noteId);
  const plan = planWriteBack({
    note: version,
    desired,
    existing,
    software: deps.software,
    device: await deps.device(),
    recorded: deps.clock.nowIso(),
    ...(reason ? { retractionReason: reason } : {}),
  });
  for (const bundle of plan.bundles) {
    await deps.fhir.executeTransaction(bundle);
  }
  const counts = {
    mentions,
    created: plan.created,
    updated: plan.updated,
    retracted: plan.retracted,
    unchanged: plan.unchanged,
    transactions: plan.bundles.length,
  };
  deps.log.info({ ...counts, ms: Math.round(performance.now() - started) }, 'note analyzed');
  return { outcome: plan.bundles.length > 0 ? 'written' : 'unchanged', ...counts };
}

/** A deleted note has no version left to read: its retraction names the note without a version. */
function deletedNoteVersion(noteId: string): NoteVersion {
  return { id: noteId, versionId: '', subject: { reference: '' }, attachmentPath: '', status: 'entered-in-error' };
}

/**
 * The parts of a DocumentReference the mapping needs.
 * @param note - the DocumentReference as read.
 * @param attachmentPath - FHIRPath of the analysed attachment.
 * @returns the note version.
 * @throws MissingSubjectError when the note has no subject.
 */
export function toNoteVersion(note: WithId<DocumentReference>, attachmentPath: string): NoteVersion {
  if (!note.subject?.reference) {
    throw new MissingSubjectError(`DocumentReference/${note.id}`);
  }
  return {
    id: note.id,
    versionId: note.meta?.versionId ?? '',
    subject: { reference: note.subject.reference },
    ...(note.context?.encounter?.[0]?.reference ? { encounter: { reference: note.context.encounter[0].reference } } : {}),
    ...(note.date || note.context?.period?.start ? { date: note.date ?? note.context?.period?.start } : {}),
    attachmentPath,
    status: note.status,
  };
}
