/** The Provenance written with each change to a note's findings. Pure: `recorded` is passed in. */
import type { Device, Provenance, Reference } from '@medplum/fhirtypes';
import type { NoteVersion } from '../fhir/finding-types.js';
import { PIPELINE_VERSION_TAG_SYSTEM, RUN_TAG_SYSTEM, SOURCE_DOCUMENT_TAG_SYSTEM } from '../fhir/naming.js';
import { PROVENANCE_PARTICIPANT_TYPE, V3_DATA_OPERATION } from '../terminology/systems.js';
import type { SoftwareInfo } from './software.js';

/** What a write did, for Provenance.activity. */
export type WriteActivity = 'CREATE' | 'UPDATE' | 'NULLIFY';

/** Input of `buildProvenance`. */
export interface ProvenanceInput {
  readonly note: NoteVersion;
  readonly targets: readonly Reference[];
  readonly software: SoftwareInfo;
  readonly device: Reference<Device>;
  readonly recorded: string;
  readonly activity: WriteActivity;
  /** Why, when findings were retracted (e.g. "no longer supported by document version 3"). */
  readonly reason?: string;
}

const ACTIVITY_DISPLAY: Record<WriteActivity, string> = { CREATE: 'create', UPDATE: 'revise', NULLIFY: 'nullify' };

/**
 * Builds the Provenance of one write-back transaction.
 * @param input - the note version, the written targets, the software and the time.
 * @returns the Provenance.
 */
export function buildProvenance(input: ProvenanceInput): Provenance {
  const { note, software } = input;
  return {
    resourceType: 'Provenance',
    meta: {
      tag: [
        { system: SOURCE_DOCUMENT_TAG_SYSTEM, code: note.id },
        { system: PIPELINE_VERSION_TAG_SYSTEM, code: software.pipelineVersion },
        { system: RUN_TAG_SYSTEM, code: runId(note, software) },
      ],
    },
    target: input.targets.map((t) => ({ reference: t.reference })),
    recorded: input.recorded,
    activity: { coding: [{ system: V3_DATA_OPERATION, code: input.activity, display: ACTIVITY_DISPLAY[input.activity] }] },
    ...(input.reason ? { reason: [{ text: input.reason }] } : {}),
    agent: [
      {
        type: { coding: [{ system: PROVENANCE_PARTICIPANT_TYPE, code: 'assembler', display: 'Assembler' }] },
        who: input.device,
      },
    ],
    entity: [{ role: 'source', what: { reference: documentReference(note) } }],
  };
}

/** The note version's reference; a deleted note (no version left) is named without one. */
function documentReference(note: Pick<NoteVersion, 'id' | 'versionId'>): string {
  return note.versionId ? `DocumentReference/${note.id}/_history/${note.versionId}` : `DocumentReference/${note.id}`;
}

/**
 * The id of a run: one note version through one pipeline version.
 * @param note - the note version.
 * @param software - the software info.
 * @returns `<note>-v<version>-p<pipeline version>`.
 */
export function runId(note: Pick<NoteVersion, 'id' | 'versionId'>, software: Pick<SoftwareInfo, 'pipelineVersion'>): string {
  return `${note.id}-v${note.versionId || 'deleted'}-p${software.pipelineVersion}`;
}
