/**
 * `chartmine extract`: the worker's pipeline, in-process, with no Redis and no server. Produces the transaction
 * Bundle the worker would write for a note seen for the first time, made self-contained: the pipeline Device is
 * an entry of the Bundle (conditional create on its identifier) instead of a reference to a stored one, and the
 * run's AuditEvent closes it. The Provenance keeps its targets as `urn:uuid` references (tagged pending): only a
 * server that stores the Bundle can say their versions.
 */
import { createHash } from 'node:crypto';
import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import type { WithId } from '@medplum/core';
import { UnsupportedContentError } from '../errors.js';
import type { MappingOptions } from '../fhir/finding-types.js';
import { mapFindings } from '../fhir/map-findings.js';
import { DEVICE_IDENTIFIER_SYSTEM } from '../fhir/naming.js';
import { readNoteText, type NoteText } from '../fhir/note-text.js';
import { planWriteBack } from '../fhir/write-back.js';
import type { NlpPipeline } from '../nlp/types.js';
import { buildAuditEvent } from '../provenance/build-audit-event.js';
import { buildPipelineDevice, type SoftwareInfo } from '../provenance/software.js';
import { toNoteVersion } from './analyze-note.job.js';

/** What extraction needs. */
export interface ExtractDeps {
  readonly nlp: NlpPipeline;
  readonly software: SoftwareInfo;
  readonly mapping: Omit<MappingOptions, 'pipelineVersion'>;
  readonly maxDocumentBytes: number;
  /** Provenance.recorded. */
  readonly recorded: string;
  /** Told about a note that is usable but yields nothing (no text): the result is then a Bundle without findings. */
  readonly warn?: (message: string) => void;
}

const DEVICE_FULL_URL = 'urn:uuid:00000000-0000-4000-8000-00000000de01';
const AUDIT_FULL_URL = 'urn:uuid:00000000-0000-4000-8000-00000000de02';

/**
 * Wraps a text file as the DocumentReference the worker would read. Bytes are kept as they are, so the worker's
 * checks (strict UTF-8, size) apply to them unchanged.
 * @param text - the note text, or its bytes.
 * @param subject - the subject reference (default `Patient/example`).
 * @param contentType - the attachment's content type (default UTF-8 plain text).
 * @returns a DocumentReference whose id is derived from the content.
 */
export function toTextNote(text: string | Buffer, subject = 'Patient/example', contentType = 'text/plain; charset=utf-8'): DocumentReference {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return {
    resourceType: 'DocumentReference',
    id: `text-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`,
    meta: { versionId: '1' },
    status: 'current',
    subject: { reference: subject },
    content: [{ attachment: { contentType, data: bytes.toString('base64') } }],
  };
}

/**
 * Reads a note's text with the worker's checks (content type, charset, base64, size); `extract` has no server to
 * fetch an `attachment.url` from.
 * @param note - the DocumentReference.
 * @param maxDocumentBytes - MAX_DOCUMENT_BYTES.
 * @returns the text.
 * @throws UnsupportedContentError or DocumentTooLargeError, as the worker would.
 */
export function readExtractableText(note: DocumentReference, maxDocumentBytes: number): Promise<NoteText> {
  return readNoteText(
    note,
    async () => {
      throw new UnsupportedContentError('attachment.url cannot be read by `extract`; put the text in attachment.data');
    },
    maxDocumentBytes
  );
}

/**
 * Runs the pipeline on one note and returns the transaction Bundle.
 * @param note - a DocumentReference with the text inline (`attachment.data`); id and version default from content.
 * @param deps - pipeline, software, mapping options, limits and time.
 * @returns the Bundle (Device, findings, Provenance).
 */
export async function extractNote(note: DocumentReference, deps: ExtractDeps): Promise<Bundle> {
  const withIds = {
    ...note,
    id: note.id ?? `doc-${createHash('sha256').update(JSON.stringify(note.content ?? [])).digest('hex').slice(0, 16)}`,
    meta: { ...note.meta, versionId: note.meta?.versionId ?? '1' },
  } as WithId<DocumentReference>;
  const noteText = await readExtractableText(withIds, deps.maxDocumentBytes);
  const version = toNoteVersion(withIds, noteText.path, deps.recorded);
  if (noteText.text.trim() === '') deps.warn?.('empty note: no text to analyse, nothing extracted');
  const result = await deps.nlp.analyze(noteText.text);
  const desired = mapFindings(version, noteText.text, result, { ...deps.mapping, pipelineVersion: deps.software.pipelineVersion });
  const plan = planWriteBack({
    note: version,
    desired,
    existing: [],
    software: deps.software,
    device: { reference: DEVICE_FULL_URL, display: `Chartmine NLP pipeline ${deps.software.pipelineVersion}` },
    recorded: deps.recorded,
  });
  const device = buildPipelineDevice(deps.software);
  const deviceEntry = {
    fullUrl: DEVICE_FULL_URL,
    resource: device,
    request: {
      method: 'POST' as const,
      url: 'Device',
      ifNoneExist: `identifier=${DEVICE_IDENTIFIER_SYSTEM}|${device.identifier?.[0]?.value ?? ''}`,
    },
  };
  const entries = plan.bundles.flatMap((b) => b.entry ?? []);
  const audit = buildAuditEvent({
    noteId: version.id,
    versionId: version.versionId,
    jobId: undefined,
    attempt: 1,
    pipelineVersion: deps.software.pipelineVersion,
    device: { reference: DEVICE_FULL_URL },
    recorded: deps.recorded,
    outcome: {
      kind: entries.length > 0 ? 'written' : 'unchanged',
      counts: {
        mentions: result.mentions.length,
        created: plan.created,
        updated: plan.updated,
        retracted: plan.retracted,
        unchanged: plan.unchanged,
        transactions: plan.bundles.length,
      },
      provenances: [],
    },
  });
  // Nothing found is still a run: the AuditEvent says what ran on which note.
  entries.push({ fullUrl: AUDIT_FULL_URL, resource: audit, request: { method: 'POST', url: 'AuditEvent' } });
  return { resourceType: 'Bundle', type: 'transaction', entry: [deviceEntry, ...entries] };
}
