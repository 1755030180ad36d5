/**
 * The AuditEvent of one processing run (profile `chartmine-audit-event`): which note version, which pipeline, what
 * came of it (written, unchanged, skipped or failed) and the counts. Pure. Never note text: the description is a
 * fixed phrase with numbers, details are counts, ids and error codes.
 */
import type { AuditEvent, AuditEventEntityDetail, Device, Reference } from '@medplum/fhirtypes';
import { CHARTMINE_CODES, PIPELINE_VERSION_TAG_SYSTEM, PROFILES, SOURCE_DOCUMENT_TAG_SYSTEM } from '../fhir/naming.js';
import { CHARTMINE_CONCEPTS } from '../fhir/profiles/terminology.js';

/** What a run came to. */
export type RunOutcome =
  | { readonly kind: 'written' | 'unchanged'; readonly counts: RunCounts; readonly provenances: readonly string[] }
  | { readonly kind: 'skipped'; readonly reason: string }
  | {
      readonly kind: 'failed';
      readonly errorCode: string;
      readonly retryable: boolean;
      /** Our own description (ids, resource types, entry indexes, statuses; never text), e.g. refused entries. */
      readonly detail?: string;
    };

/** Counts of a run that analysed (or retracted) a note. */
export interface RunCounts {
  readonly mentions: number;
  readonly created: number;
  readonly updated: number;
  readonly retracted: number;
  readonly unchanged: number;
  /** Findings left as a reviewer decided (re-analysis would have changed or retracted them). */
  readonly keptReviewed?: number;
  readonly transactions: number;
}

/** Input of `buildAuditEvent`. */
export interface AuditEventInput {
  readonly noteId: string;
  /** The source's type and id when it is not the DocumentReference `noteId` (patient feedback). */
  readonly source?: { readonly resourceType: string; readonly id: string };
  /** The note version processed (`deleted` for a deletion). */
  readonly versionId: string;
  readonly jobId: string | undefined;
  readonly attempt: number;
  readonly pipelineVersion: string;
  readonly device: Reference<Device>;
  readonly recorded: string;
  readonly outcome: RunOutcome;
}

/** DICOM "Application Activity": the audit event type of an application doing its work. */
const APPLICATION_ACTIVITY = { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110100', display: 'Application Activity' };

/**
 * Builds the AuditEvent of one run.
 * @param input - the run.
 * @returns the AuditEvent.
 */
export function buildAuditEvent(input: AuditEventInput): AuditEvent {
  const { outcome } = input;
  const base = input.source ? `${input.source.resourceType}/${input.source.id}` : `DocumentReference/${input.noteId}`;
  const noteRef = /^[A-Za-z0-9\-.]{1,64}$/.test(input.versionId) && input.versionId !== 'deleted' ? `${base}/_history/${input.versionId}` : base;
  const detail: AuditEventEntityDetail[] = [
    { type: 'job', valueString: input.jobId ?? 'none' },
    { type: 'attempt', valueString: String(input.attempt) },
    { type: 'pipeline-version', valueString: input.pipelineVersion },
    { type: 'outcome', valueString: outcome.kind },
    ...(outcome.kind === 'written' || outcome.kind === 'unchanged'
      ? (Object.entries(outcome.counts) as [string, number][]).map(([type, n]) => ({ type, valueString: String(n) }))
      : []),
    ...(outcome.kind === 'skipped' ? [{ type: 'reason', valueString: outcome.reason }] : []),
    ...(outcome.kind === 'failed'
      ? [
          { type: 'error-code', valueString: outcome.errorCode },
          { type: 'retryable', valueString: String(outcome.retryable) },
          ...(outcome.detail ? [{ type: 'error-detail', valueString: outcome.detail }] : []),
        ]
      : []),
  ];
  return {
    resourceType: 'AuditEvent',
    meta: {
      profile: [PROFILES.auditEvent],
      tag: [
        { system: SOURCE_DOCUMENT_TAG_SYSTEM, code: input.noteId },
        { system: PIPELINE_VERSION_TAG_SYSTEM, code: input.pipelineVersion },
      ],
    },
    type: APPLICATION_ACTIVITY,
    subtype: [{ system: CHARTMINE_CODES, ...CHARTMINE_CONCEPTS.analyzeNote }],
    action: 'E',
    recorded: input.recorded,
    // 0 success; 4 minor failure (will be retried); 8 serious failure (the job failed for good).
    outcome: outcome.kind === 'failed' ? (outcome.retryable ? '4' : '8') : '0',
    outcomeDesc: describe(outcome),
    agent: [{ who: input.device, requestor: false }],
    source: {
      site: 'chartmine',
      observer: input.device,
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity: [
      {
        what: { reference: noteRef },
        type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
        role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '4', display: 'Domain Resource' },
        detail,
      },
      ...(outcome.kind === 'written' ? outcome.provenances.map((reference) => ({ what: { reference } })) : []),
    ],
  };
}

/** A fixed phrase with numbers: never anything from the note. */
function describe(outcome: RunOutcome): string {
  switch (outcome.kind) {
    case 'written':
    case 'unchanged': {
      const c = outcome.counts;
      return `${outcome.kind}: ${c.mentions} mentions; ${c.created} created, ${c.updated} updated, ${c.retracted} retracted, ${c.unchanged} unchanged${c.keptReviewed ? `, ${c.keptReviewed} kept as reviewed` : ''}`;
    }
    case 'skipped':
      return `skipped: ${outcome.reason}`;
    case 'failed':
      return `failed: ${outcome.errorCode}${outcome.retryable ? ' (will be retried)' : ''}`;
  }
}
