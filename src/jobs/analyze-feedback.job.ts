/**
 * The patient-feedback use case: one version of a QuestionnaireResponse, patient Communication or feedback
 * DocumentReference in, one sentiment Observation per free-text item out. The same life as a note's run: read the
 * version, decide (analyse, retract what was derived, or skip), classify and map, then — fenced by the lease and a
 * re-read of the current version — diff against what the server has and write the difference with a Provenance in
 * one transaction (checked entry by entry), and stamp the Provenance. Empty or non-text answers are skipped with a
 * reason and counted; they never fail the run.
 */
import type { Communication, Device, DocumentReference, QuestionnaireResponse, Reference, Resource } from '@medplum/fhirtypes';
import type { WithId } from '@medplum/core';
import { MissingSubjectError, NoteMissingError, VersionNotAvailableError } from '../errors.js';
import {
  countSkipped,
  readCommunicationItems,
  readDocumentItems,
  readQuestionnaireItems,
  type FeedbackItem,
  type FeedbackItems,
  type SkipItemReason,
} from '../feedback/feedback-items.js';
import { feedbackSourceKey, notFeedbackReason, type FeedbackSourceType, type NotFeedbackReason } from '../feedback/feedback-source.js';
import { mapFeedback, type ClassifiedItem, type FeedbackVersion } from '../feedback/map-feedback.js';
import type { SentimentClassifier } from '../feedback/sentiment.js';
import type { DesiredFinding } from '../fhir/finding-types.js';
import type { FhirGateway } from '../fhir/gateway.js';
import { readNoteText, type AttachmentReader } from '../fhir/note-text.js';
import { planWriteBack } from '../fhir/write-back.js';
import { DELETED_VERSION } from '../ingest/note-event.js';
import type { NlpPipeline } from '../nlp/types.js';
import type { Logger } from '../observability/logger.js';
import type { RunCounts } from '../provenance/build-audit-event.js';
import type { SoftwareInfo } from '../provenance/software.js';
import { repairPendingProvenances, stampWritten, type StepRunner } from './analyze-note.job.js';
import { assertWholeTransaction } from './undo-partial-write.js';

/** What a feedback job carries across Redis: identifiers only. */
export interface AnalyzeFeedbackJobData {
  readonly resourceType: FeedbackSourceType;
  readonly id: string;
  readonly versionId: string;
  readonly requestId: string;
}

/** The ports the use case needs. */
export interface AnalyzeFeedbackDeps {
  readonly fhir: FhirGateway;
  /** The note pipeline: medications (RxNorm) and symptoms (SNOMED CT) in each item. */
  readonly nlp: NlpPipeline;
  readonly classifier: SentimentClassifier;
  /** The feedback pipeline's software (note pipeline components plus the classifier). */
  readonly software: SoftwareInfo;
  readonly device: () => Promise<Reference<Device>>;
  readonly maxDocumentBytes: number;
  readonly auditEvents?: boolean;
  readonly clock: { nowIso(): string };
  readonly log: Logger;
  readonly fence?: { assertHeld(): Promise<void> };
  readonly step?: StepRunner;
}

/** Why a run wrote nothing. */
export type FeedbackSkipReason = 'superseded' | 'preliminary' | NotFeedbackReason;

/** The job's result (ids and counts only). */
export type AnalyzeFeedbackResult =
  | { readonly outcome: 'skipped'; readonly reason: FeedbackSkipReason }
  | (RunCounts & {
      readonly outcome: 'written' | 'unchanged';
      /** Answers or payloads left out, by reason (`empty-text`, `not-text`). */
      readonly skippedItems: Partial<Record<SkipItemReason, number>>;
      readonly provenances?: readonly string[];
    });

type Decision =
  | { readonly kind: 'skip'; readonly reason: FeedbackSkipReason }
  | { readonly kind: 'retract'; readonly version: FeedbackVersion; readonly reason: string }
  | { readonly kind: 'analyze'; readonly resource: WithId<Resource>; readonly version: FeedbackVersion };

const NO_DEADLINE: StepRunner = (_step, fn) => fn();

/**
 * Analyses one feedback version and writes its Observations.
 * @param data - the job's identifiers.
 * @param deps - the ports.
 * @returns what was done.
 */
export async function analyzeFeedback(data: AnalyzeFeedbackJobData, deps: AnalyzeFeedbackDeps): Promise<AnalyzeFeedbackResult> {
  const started = performance.now();
  const step = deps.step ?? NO_DEADLINE;
  const key = feedbackSourceKey(data.resourceType, data.id);
  const decision = await step('read', () => decide(data, deps));
  if (decision.kind === 'skip') {
    deps.log.info({ reason: decision.reason }, 'feedback skipped');
    return { outcome: 'skipped', reason: decision.reason };
  }
  let desired: DesiredFinding[] = [];
  let skippedItems: FeedbackItems['skipped'] = [];
  let classifiedCount = 0;
  if (decision.kind === 'analyze') {
    const items = await step('read', () => readFeedbackItems(decision.resource, (url, max) => deps.fhir.readAttachment(url, max), deps.maxDocumentBytes));
    skippedItems = items.skipped;
    const classified = await classifyItems(items.items, deps);
    classifiedCount = classified.length;
    desired = mapFeedback(decision.version, classified, deps.software.pipelineVersion);
  }
  const skippedCounts = countSkipped(skippedItems);
  if (skippedItems.length > 0) deps.log.info({ skippedItems: skippedCounts }, 'feedback items skipped');
  return step('write', async () => {
    await deps.fence?.assertHeld();
    if (!(await stillCurrent(data, decision, deps))) {
      deps.log.info({ reason: 'superseded' }, 'feedback changed during the run, nothing written');
      return { outcome: 'skipped', reason: 'superseded' } as const;
    }
    await repairPendingProvenances(key, deps);
    const existing = await deps.fhir.readDerived(key);
    const plan = planWriteBack({
      note: decision.version,
      desired,
      existing,
      software: deps.software,
      device: await deps.device(),
      recorded: deps.clock.nowIso(),
      retractionReason:
        decision.kind === 'retract' ? decision.reason : `not supported by ${data.resourceType}/${data.id} version ${data.versionId}`,
    });
    const provenances: string[] = [];
    for (const bundle of plan.bundles) {
      await deps.fence?.assertHeld();
      const response = await deps.fhir.executeTransaction(bundle);
      await assertWholeTransaction(bundle, response, existing, deps);
      provenances.push(await stampWritten(bundle, response, deps));
    }
    const counts: RunCounts = {
      mentions: classifiedCount,
      created: plan.created,
      updated: plan.updated,
      retracted: plan.retracted,
      unchanged: plan.unchanged,
      transactions: plan.bundles.length,
    };
    deps.log.info({ ...counts, skippedItems: skippedCounts, ms: Math.round(performance.now() - started) }, 'feedback analyzed');
    return {
      outcome: plan.bundles.length > 0 ? ('written' as const) : ('unchanged' as const),
      ...counts,
      skippedItems: skippedCounts,
      provenances: provenances.filter(Boolean),
    };
  });
}

async function decide(data: AnalyzeFeedbackJobData, deps: AnalyzeFeedbackDeps): Promise<Decision> {
  const ref = `${data.resourceType}/${data.id}`;
  const read = await readSource(data, deps);
  if (read.state === 'missing') throw new NoteMissingError(ref);
  if (read.state === 'deleted') {
    return { kind: 'retract', version: deletedVersion(data), reason: `${ref} was deleted` };
  }
  const resource = read.resource;
  const current = resource.meta?.versionId ?? '';
  if (data.versionId === DELETED_VERSION) return { kind: 'skip', reason: 'superseded' };
  if (current !== data.versionId) {
    if (await isOlderVersion(data, current, deps)) return { kind: 'skip', reason: 'superseded' };
    throw new VersionNotAvailableError(ref, data.versionId, current);
  }
  const notFeedback = notFeedbackReason(resource);
  if (notFeedback) return { kind: 'skip', reason: notFeedback };
  const version = toFeedbackVersion(data, resource);
  const status = (resource as { status?: string }).status;
  if (status === 'entered-in-error' || (resource as DocumentReference).docStatus === 'entered-in-error') {
    return { kind: 'retract', version, reason: `${ref} version ${data.versionId} is entered-in-error` };
  }
  // An unfinished survey or a draft: its answers may still change; the finished version is analysed.
  if (status === 'in-progress' || status === 'preparation' || (resource as DocumentReference).docStatus === 'preliminary') {
    return { kind: 'skip', reason: 'preliminary' };
  }
  return { kind: 'analyze', resource, version };
}

async function readSource(data: AnalyzeFeedbackJobData, deps: AnalyzeFeedbackDeps): Promise<Awaited<ReturnType<NonNullable<FhirGateway['readSource']>>>> {
  if (deps.fhir.readSource) return deps.fhir.readSource(data.resourceType, data.id);
  if (data.resourceType !== 'DocumentReference') throw new NoteMissingError(`${data.resourceType}/${data.id}`);
  const read = await deps.fhir.readNote(data.id);
  return read.state === 'found' ? { state: 'found', resource: read.note } : read;
}

async function isOlderVersion(data: AnalyzeFeedbackJobData, current: string, deps: AnalyzeFeedbackDeps): Promise<boolean> {
  if (/^\d{1,15}$/.test(data.versionId) && /^\d{1,15}$/.test(current)) return Number(data.versionId) < Number(current);
  if (!deps.fhir.hasSourceVersion) return true;
  return deps.fhir.hasSourceVersion(data.resourceType, data.id, data.versionId);
}

async function stillCurrent(data: AnalyzeFeedbackJobData, decision: Exclude<Decision, { kind: 'skip' }>, deps: AnalyzeFeedbackDeps): Promise<boolean> {
  const read = await readSource(data, deps);
  if (read.state === 'deleted') return decision.kind === 'retract' && decision.version.versionId === '';
  if (read.state === 'missing') throw new NoteMissingError(`${data.resourceType}/${data.id}`);
  return decision.version.versionId !== '' && read.resource.meta?.versionId === data.versionId;
}

/**
 * The items of a feedback resource (a DocumentReference's attachment is read and decoded like a note's).
 * @param resource - the resource.
 * @param readAttachment - reads `attachment.url` content.
 * @param maxDocumentBytes - MAX_DOCUMENT_BYTES.
 * @returns the items and what was skipped.
 */
export async function readFeedbackItems(resource: Resource, readAttachment: AttachmentReader, maxDocumentBytes: number): Promise<FeedbackItems> {
  switch (resource.resourceType) {
    case 'QuestionnaireResponse':
      return readQuestionnaireItems(resource);
    case 'Communication':
      return readCommunicationItems(resource);
    default: {
      const text = await readNoteText(resource as DocumentReference, readAttachment, maxDocumentBytes);
      return readDocumentItems(text.text, text.path);
    }
  }
}

/**
 * Classifies the items in one batch and runs the note pipeline over each (medications, symptoms).
 * @param items - the items.
 * @param deps - the classifier and the pipeline.
 * @returns the classified items, in order.
 */
export async function classifyItems(items: readonly FeedbackItem[], deps: Pick<AnalyzeFeedbackDeps, 'classifier' | 'nlp'>): Promise<ClassifiedItem[]> {
  if (items.length === 0) return [];
  const results = await deps.classifier.classify(items.map((i) => i.text));
  const classified: ClassifiedItem[] = [];
  for (const [i, item] of items.entries()) {
    classified.push({ item, result: results[i], mentions: (await deps.nlp.analyze(item.text)).mentions });
  }
  return classified;
}

/**
 * The parts of a feedback resource the mapping needs.
 * @param data - the job's identifiers.
 * @param resource - the resource as read.
 * @returns the version.
 * @throws MissingSubjectError when the resource names no subject.
 */
export function toFeedbackVersion(data: Pick<AnalyzeFeedbackJobData, 'resourceType' | 'id'>, resource: Resource): FeedbackVersion {
  const ref = `${data.resourceType}/${data.id}`;
  type Common = Omit<QuestionnaireResponse, 'resourceType'> & Omit<Communication, 'resourceType'> & Omit<DocumentReference, 'resourceType'>;
  const r = resource as Resource as Common;
  const subject = r.subject?.reference;
  if (!subject) throw new MissingSubjectError(ref);
  const encounter = r.encounter?.reference ?? r.context?.encounter?.[0]?.reference;
  const effective = r.authored ?? r.sent ?? r.date;
  return {
    id: feedbackSourceKey(data.resourceType, data.id),
    versionId: resource.meta?.versionId ?? '',
    subject: { reference: subject },
    ...(encounter ? { encounter: { reference: encounter } } : {}),
    ...(effective ? { effective } : {}),
    ...(resource.meta?.lastUpdated ? { lastUpdated: resource.meta.lastUpdated } : {}),
    attachmentPath: data.resourceType,
    status: 'current',
    ...(data.resourceType !== 'DocumentReference' ? { source: { resourceType: data.resourceType, id: data.id } } : {}),
  };
}

function deletedVersion(data: AnalyzeFeedbackJobData): FeedbackVersion {
  return {
    id: feedbackSourceKey(data.resourceType, data.id),
    versionId: '',
    subject: { reference: '' },
    attachmentPath: '',
    status: 'entered-in-error',
    ...(data.resourceType !== 'DocumentReference' ? { source: { resourceType: data.resourceType, id: data.id } } : {}),
  };
}
