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
  /**
   * When the server stored this version (meta.lastUpdated; `chartmine extract`: when it read the note). A bound for
   * measurements whose time the note does not give: they happened before the note existed.
   */
  readonly lastUpdated?: string;
  /** FHIRPath of the attachment analysed, e.g. `DocumentReference.content[0].attachment`. */
  readonly attachmentPath: string;
  readonly status: DocumentReference['status'];
  /**
   * The source when it is not a DocumentReference whose id is `id` (patient feedback: a QuestionnaireResponse or
   * Communication; `id` is then the source key `<Type>-<id>` the derived resources are tagged with).
   */
  readonly source?: { readonly resourceType: string; readonly id: string };
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

/** clinicalStatus of a problem the note places only in the past (HISTORICAL_CLINICAL_STATUS); `unknown`: none. */
export type HistoricalClinicalStatus = 'unknown' | 'active' | 'inactive' | 'resolved';

/** Site-configurable choices of the assertion → FHIR mapping. */
export interface MappingOptions {
  /** verificationStatus for affirmed problems: `confirmed` (default) or `unconfirmed`. */
  readonly verificationAffirmed: 'confirmed' | 'unconfirmed';
  /** clinicalStatus of historical problems the note does not also affirm as current. Default `unknown` (none). */
  readonly historicalClinicalStatus: HistoricalClinicalStatus;
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
  historicalClinicalStatus: 'unknown',
  writeHypothetical: false,
  writeUncoded: true,
};
