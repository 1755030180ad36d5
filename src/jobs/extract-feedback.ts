/**
 * `chartmine sentiment`: the feedback pipeline in-process on one resource, returning the transaction Bundle the
 * worker would write (Observations, Provenance, the feedback pipeline Device, an AuditEvent), with no Redis and no
 * server. Shares the worker's item reading, classification and mapping.
 */
import { createHash } from 'node:crypto';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { UnsupportedContentError } from '../errors.js';
import { countSkipped, type SkipItemReason } from '../feedback/feedback-items.js';
import { isFeedbackSourceType, notFeedbackReason } from '../feedback/feedback-source.js';
import { mapFeedback } from '../feedback/map-feedback.js';
import type { SentimentClassifier } from '../feedback/sentiment.js';
import { DEVICE_IDENTIFIER_SYSTEM } from '../fhir/naming.js';
import { planWriteBack } from '../fhir/write-back.js';
import type { NlpPipeline } from '../nlp/types.js';
import { buildAuditEvent } from '../provenance/build-audit-event.js';
import { buildPipelineDevice, type SoftwareInfo } from '../provenance/software.js';
import { classifyItems, readFeedbackItems, toFeedbackVersion } from './analyze-feedback.job.js';

/** What `extractFeedback` needs. */
export interface ExtractFeedbackDeps {
  readonly nlp: NlpPipeline;
  readonly classifier: SentimentClassifier;
  readonly software: SoftwareInfo;
  readonly maxDocumentBytes: number;
  readonly recorded: string;
  /** Told about skipped items and resources that are not patient feedback (counts and reasons only). */
  readonly warn?: (message: string) => void;
}

const DEVICE_FULL_URL = 'urn:uuid:00000000-0000-4000-8000-00000000fb01';
const AUDIT_FULL_URL = 'urn:uuid:00000000-0000-4000-8000-00000000fb02';

/**
 * Runs the feedback pipeline on one resource.
 * @param input - a QuestionnaireResponse, Communication or feedback DocumentReference (ids filled in when absent).
 * @param deps - pipeline, classifier, software and time.
 * @returns the transaction Bundle.
 */
export async function extractFeedback(input: Resource, deps: ExtractFeedbackDeps): Promise<Bundle> {
  if (!isFeedbackSourceType(input.resourceType)) throw new UnsupportedContentError('not a QuestionnaireResponse, Communication or DocumentReference');
  const resource = {
    ...input,
    id: input.id ?? `fb-${createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 16)}`,
    meta: { ...input.meta, versionId: input.meta?.versionId ?? '1', lastUpdated: input.meta?.lastUpdated ?? deps.recorded },
  } as Resource & { id: string };
  const type = input.resourceType;
  const reason = notFeedbackReason(resource);
  if (reason) deps.warn?.(`not patient feedback (${reason}): analysed anyway`);
  const version = toFeedbackVersion({ resourceType: type, id: resource.id }, resource);
  const items = await readFeedbackItems(
    resource,
    async () => {
      throw new UnsupportedContentError('attachment.url cannot be read by `sentiment`; put the text in attachment.data');
    },
    deps.maxDocumentBytes
  );
  const skipped = countSkipped(items.skipped);
  for (const [why, n] of Object.entries(skipped) as [SkipItemReason, number][]) deps.warn?.(`${n} item(s) skipped: ${why}`);
  const classified = await classifyItems(items.items, deps);
  const plan = planWriteBack({
    note: version,
    desired: mapFeedback(version, classified, deps.software.pipelineVersion),
    existing: [],
    software: deps.software,
    device: { reference: DEVICE_FULL_URL, display: `Chartmine feedback pipeline ${deps.software.pipelineVersion}` },
    recorded: deps.recorded,
  });
  const device = buildPipelineDevice(deps.software);
  const entries = plan.bundles.flatMap((b) => b.entry ?? []);
  const audit = buildAuditEvent({
    noteId: version.id,
    ...(version.source ? { source: version.source } : {}),
    versionId: version.versionId,
    jobId: undefined,
    attempt: 1,
    pipelineVersion: deps.software.pipelineVersion,
    device: { reference: DEVICE_FULL_URL },
    recorded: deps.recorded,
    outcome: {
      kind: entries.length > 0 ? 'written' : 'unchanged',
      counts: { mentions: classified.length, created: plan.created, updated: 0, retracted: 0, unchanged: 0, transactions: plan.bundles.length },
      provenances: [],
    },
  });
  entries.push({ fullUrl: AUDIT_FULL_URL, resource: audit, request: { method: 'POST', url: 'AuditEvent' } });
  const deviceEntry = {
    fullUrl: DEVICE_FULL_URL,
    resource: device,
    request: { method: 'POST' as const, url: 'Device', ifNoneExist: `identifier=${DEVICE_IDENTIFIER_SYSTEM}|${device.identifier?.[0]?.value ?? ''}` },
  };
  return { resourceType: 'Bundle', type: 'transaction', entry: [deviceEntry, ...entries] };
}
