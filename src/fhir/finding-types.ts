/** Types shared by the mapping and write-back stages. Pure. */
import type { Reference, Resource } from '@medplum/fhirtypes';
import type { Patient, Group, Device, Location, Encounter, DocumentReference } from '@medplum/fhirtypes';

/** The version of the note a run analysed, with what the mapping needs from it. */
export interface NoteVersion {
  readonly id: string;
  readonly versionId: string;
  readonly subject: Reference<Patient | Group | Device | Location>;
  readonly encounter?: Reference<Encounter>;
  /** When the note was written (DocumentReference.date, else context.period.start). */
  readonly date?: string;
  /** FHIRPath of the attachment analysed, e.g. `DocumentReference.content[0].attachment`. */
  readonly attachmentPath: string;
  readonly status: DocumentReference['status'];
}

/** A resource Chartmine wants to exist, with its stable key. */
export interface DesiredFinding {
  /** Stable key within the note, e.g. `Condition|sct:38341003|affirmed`. Never contains note text. */
  readonly key: string;
  /** Identifier value (`FINDING_IDENTIFIER_SYSTEM`), derived from note id and key. */
  readonly identifier: string;
  /** The resource without `id` and version metadata. */
  readonly resource: Resource;
}

/** Site-configurable choices of the assertion → FHIR mapping. */
export interface MappingOptions {
  /** verificationStatus for affirmed problems: `confirmed` (default) or `unconfirmed`. */
  readonly verificationAffirmed: 'confirmed' | 'unconfirmed';
  /** Write hypothetical mentions ("return if chest pain develops")? Default no. */
  readonly writeHypothetical: boolean;
  /** Write mentions no terminology code was found for, as `code.text` only? Default yes. */
  readonly writeUncoded: boolean;
  /** The pipeline version, written as a tag. */
  readonly pipelineVersion: string;
}

/** Defaults documented in the README. */
export const DEFAULT_MAPPING_OPTIONS: Omit<MappingOptions, 'pipelineVersion'> = {
  verificationAffirmed: 'confirmed',
  writeHypothetical: false,
  writeUncoded: true,
};
