/**
 * The reads the write step starts with — the note again (is it still the version analysed?), Provenances an earlier
 * run left pending, what was derived from the note and from the notes it replaces — in one round trip where the
 * gateway can batch them (`FhirGateway.readAll`), else one by one as before. Reading them together changes nothing:
 * the pending-Provenance repair that follows writes only Provenances, which are not among the derived types.
 */
import type { Provenance, Resource } from '@medplum/fhirtypes';
import type { FhirRead, FhirReadResult } from '../fhir/batch-reads.js';
import type { FhirGateway, NoteRead } from '../fhir/gateway.js';
import { DERIVED_RESOURCE_TYPES, SOURCE_DOCUMENT_TAG_SYSTEM, TARGETS_PENDING_TAG } from '../fhir/naming.js';

/** What the write step read: the note, and with a gateway that batches, the rest read in the same round trip. */
export interface WriteStepReads {
  readonly note: NoteRead;
  /** Undefined without `readAll`: the caller reads these one by one, in its own order. */
  readonly batched?: {
    /** Provenances of the note still tagged pending (an earlier run stopped between its two writes). */
    readonly pending: readonly (Provenance & { id: string })[];
    /** Everything derived from the note. */
    readonly existing: Resource[];
    /** Everything derived from each note this one replaces. */
    readonly superseded: { noteId: string; resources: Resource[] }[];
  };
}

/**
 * The search for a note's pending Provenances.
 * @param noteId - the note (or source key).
 * @returns the search parameters (`_tag` twice: both tags).
 */
export function pendingProvenanceParams(noteId: string): [string, string][] {
  return [
    ['_tag', `${SOURCE_DOCUMENT_TAG_SYSTEM}|${noteId}`],
    ['_tag', `${TARGETS_PENDING_TAG.system}|${TARGETS_PENDING_TAG.code}`],
  ];
}

/**
 * Reads the note and, with a gateway that batches, the rest in the same round trip (used only when `isCurrent`
 * says the step goes on).
 * @param fhir - the gateway.
 * @param noteId - the note.
 * @param replaced - the notes it replaces (none when retracting).
 * @param isCurrent - decides on the note read whether the step writes at all (throws to fail the run).
 * @returns the reads, or undefined when `isCurrent` said no.
 */
export async function readBeforeWrite(
  fhir: FhirGateway,
  noteId: string,
  replaced: readonly string[],
  isCurrent: (note: NoteRead) => boolean
): Promise<WriteStepReads | undefined> {
  if (!fhir.readAll) {
    const note = await fhir.readNote(noteId);
    return isCurrent(note) ? { note } : undefined;
  }
  const derived = (id: string): FhirRead[] =>
    DERIVED_RESOURCE_TYPES.map((resourceType) => ({ kind: 'search', resourceType, params: [['_tag', `${SOURCE_DOCUMENT_TAG_SYSTEM}|${id}`]] }));
  const reads: FhirRead[] = [
    { kind: 'read', resourceType: 'DocumentReference', id: noteId },
    { kind: 'search', resourceType: 'Provenance', params: pendingProvenanceParams(noteId) },
    ...derived(noteId),
    ...replaced.flatMap(derived),
  ];
  const results = await fhir.readAll(reads);
  const note = toNoteRead(results[0]);
  if (!isCurrent(note)) return undefined;
  const found = (from: number): Resource[] =>
    results.slice(from, from + DERIVED_RESOURCE_TYPES.length).flatMap((r) => (r.kind === 'search' ? [...r.resources] : []));
  return {
    note,
    batched: {
      pending: (results[1].kind === 'search' ? results[1].resources : []) as (Provenance & { id: string })[],
      existing: found(2),
      superseded: replaced.map((id, i) => ({ noteId: id, resources: found(2 + (i + 1) * DERIVED_RESOURCE_TYPES.length) })),
    },
  };
}

function toNoteRead(result: FhirReadResult): NoteRead {
  if (result.kind !== 'read') return { state: 'missing' };
  if (result.state !== 'found') return { state: result.state };
  return { state: 'found', note: result.resource as Extract<NoteRead, { state: 'found' }>['note'] };
}
