/**
 * `chartmine extract`: the worker's pipeline, in-process, with no Redis and no server. Produces the transaction
 * Bundle the worker would write for a note seen for the first time, made self-contained: the pipeline Device is
 * an entry of the Bundle (conditional create on its identifier) instead of a reference to a stored one.
 */
import { createHash } from 'node:crypto';
import type { Bundle, DocumentReference, Provenance } from '@medplum/fhirtypes';
import type { WithId } from '@medplum/core';
import { UnsupportedContentError } from '../errors.js';
import type { MappingOptions } from '../fhir/finding-types.js';
import { mapFindings } from '../fhir/map-findings.js';
import { DEVICE_IDENTIFIER_SYSTEM } from '../fhir/naming.js';
import { readNoteText } from '../fhir/note-text.js';
import { planWriteBack } from '../fhir/write-back.js';
import type { NlpPipeline } from '../nlp/types.js';
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
}

const DEVICE_FULL_URL = 'urn:uuid:00000000-0000-4000-8000-00000000de01';

/**
 * Wraps plain text as the DocumentReference the worker would read.
 * @param text - the note text.
 * @param subject - the subject reference (default `Patient/example`).
 * @returns a DocumentReference whose id is derived from the text.
 */
export function toTextNote(text: string, subject = 'Patient/example'): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    id: `text-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`,
    meta: { versionId: '1' },
    status: 'current',
    subject: { reference: subject },
    content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(text, 'utf8').toString('base64') } }],
  };
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
  const noteText = await readNoteText(
    withIds,
    async () => {
      throw new UnsupportedContentError('attachment.url cannot be read by `extract`; put the text in attachment.data');
    },
    deps.maxDocumentBytes
  );
  const version = toNoteVersion(withIds, noteText.path);
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
  if (entries.length === 0) {
    // Nothing found: still say what ran on which note, so an empty result is auditable too.
    entries.push({
      fullUrl: 'urn:uuid:00000000-0000-4000-8000-00000000de02',
      resource: emptyRunProvenance(version.id, version.versionId, deps),
      request: { method: 'POST', url: 'Provenance' },
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry: [deviceEntry, ...entries] };
}

function emptyRunProvenance(id: string, versionId: string, deps: ExtractDeps): Provenance {
  return {
    resourceType: 'Provenance',
    target: [{ reference: `DocumentReference/${id}` }],
    recorded: deps.recorded,
    agent: [{ who: { reference: DEVICE_FULL_URL } }],
    entity: [{ role: 'source', what: { reference: `DocumentReference/${id}/_history/${versionId}` } }],
  };
}
