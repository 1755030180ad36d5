/**
 * What the reviewer page shows of a note and its findings: pure conversions from FHIR resources. Spans are the
 * finding's `derivation-reference` offsets (UTF-16 code units, as JavaScript strings count them).
 */
import type { Coding, DocumentReference, Extension, Provenance, Resource } from '@medplum/fhirtypes';
import {
  ASSERTION_EXTENSION_URL,
  CONFIDENCE_EXTENSION_URL,
  DERIVATION_REFERENCE_URL,
  PIPELINE_VERSION_EXTENSION_URL,
} from '../fhir/naming.js';
import { isRetracted } from '../fhir/write-back.js';
import { decisionOfActivity, isReviewed, REVIEW_EXTENSION_URL, type ReviewDecisionKind } from './review-codes.js';

/** A note in the page's list. */
export interface NoteSummary {
  readonly id: string;
  readonly versionId: string | undefined;
  readonly subject: string | undefined;
  readonly date: string | undefined;
  readonly status: string | undefined;
  readonly type: string | undefined;
}

/** A span of the note a finding came from. */
export interface SpanView {
  readonly start: number;
  readonly end: number;
  /** `DocumentReference/<id>/_history/<version>` the offsets refer to. */
  readonly document: string | undefined;
}

/** A finding as the page lists it. */
export interface FindingView {
  readonly ref: string;
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: string | undefined;
  readonly label: string;
  readonly codings: readonly Coding[];
  readonly assertion: string | undefined;
  readonly status: string;
  readonly confidence: number | undefined;
  readonly pipelineVersion: string | undefined;
  readonly spans: readonly SpanView[];
  readonly review: ReviewDecisionKind | undefined;
  readonly retracted: boolean;
}

/** One step of a finding's Provenance chain. */
export interface ProvenanceStep {
  readonly ref: string;
  readonly recorded: string | undefined;
  readonly activity: readonly string[];
  readonly decision: ReviewDecisionKind | undefined;
  readonly agents: readonly { readonly type: string | undefined; readonly who: string }[];
  readonly entities: readonly { readonly role: string; readonly what: string }[];
  readonly targets: readonly string[];
}

/**
 * The note's summary.
 * @param note - the DocumentReference.
 * @returns the summary.
 */
export function toNoteSummary(note: DocumentReference & { id: string }): NoteSummary {
  return {
    id: note.id,
    versionId: note.meta?.versionId,
    subject: note.subject?.reference ?? note.subject?.display,
    date: note.date,
    status: note.docStatus ? `${note.status ?? ''}/${note.docStatus}` : note.status,
    type: note.type?.text ?? note.type?.coding?.[0]?.display ?? note.type?.coding?.[0]?.code,
  };
}

/**
 * A finding for the page.
 * @param resource - a derived resource.
 * @returns the view.
 */
export function toFindingView(resource: Resource & { id: string }): FindingView {
  const r = resource as Resource & {
    id: string;
    extension?: Extension[];
    code?: { coding?: Coding[]; text?: string };
    medicationCodeableConcept?: { coding?: Coding[]; text?: string };
    status?: string;
    verificationStatus?: { coding?: Coding[] };
    clinicalStatus?: { coding?: Coding[] };
    condition?: { code?: { coding?: Coding[]; text?: string } }[];
  };
  const concept = r.code ?? r.medicationCodeableConcept ?? r.condition?.[0]?.code;
  const extension = r.extension ?? [];
  const review = extension.find((e) => e.url === REVIEW_EXTENSION_URL)?.valueCode as ReviewDecisionKind | undefined;
  return {
    ref: `${r.resourceType}/${r.id}`,
    resourceType: r.resourceType,
    id: r.id,
    versionId: r.meta?.versionId,
    label: concept?.text ?? concept?.coding?.[0]?.display ?? concept?.coding?.[0]?.code ?? r.resourceType,
    codings: (concept?.coding ?? []).map((c) => ({ system: c.system, code: c.code, display: c.display })),
    assertion: extension.find((e) => e.url === ASSERTION_EXTENSION_URL)?.valueCode,
    status: statusOf(r),
    confidence: extension.find((e) => e.url === CONFIDENCE_EXTENSION_URL)?.valueDecimal,
    pipelineVersion: extension.find((e) => e.url === PIPELINE_VERSION_EXTENSION_URL)?.valueString,
    spans: extension.filter((e) => e.url === DERIVATION_REFERENCE_URL).map(toSpan),
    review: isReviewed(r) ? (review ?? 'accept') : undefined,
    retracted: isRetracted(r),
  };
}

/**
 * A Provenance as a step of the chain.
 * @param provenance - the Provenance.
 * @returns the step.
 */
export function toProvenanceStep(provenance: Provenance & { id: string }): ProvenanceStep {
  const activity = (provenance.activity?.coding ?? []).map((c) => c.code ?? '');
  return {
    ref: `Provenance/${provenance.id}`,
    recorded: provenance.recorded,
    activity: (provenance.activity?.coding ?? []).map((c) => c.display ?? c.code ?? ''),
    decision: decisionOfActivity(activity),
    agents: provenance.agent.map((a) => ({
      type: a.type?.coding?.[0]?.code,
      who: a.who.display ?? a.who.reference ?? a.who.identifier?.value ?? 'unknown',
    })),
    entities: (provenance.entity ?? []).map((e) => ({ role: e.role, what: e.what.reference ?? e.what.display ?? '' })),
    targets: provenance.target.map((t) => t.reference ?? ''),
  };
}

function statusOf(r: { resourceType: string; status?: string; verificationStatus?: { coding?: Coding[] }; clinicalStatus?: { coding?: Coding[] } }): string {
  const verification = r.verificationStatus?.coding?.[0]?.code;
  const clinical = r.clinicalStatus?.coding?.[0]?.code;
  if (verification || clinical) return [clinical, verification].filter(Boolean).join(' / ');
  return r.status ?? 'unknown';
}

function toSpan(derivation: Extension): SpanView {
  const part = (url: string): Extension | undefined => derivation.extension?.find((e) => e.url === url);
  const start = part('offset')?.valueInteger ?? 0;
  return { start, end: start + (part('length')?.valueInteger ?? 0), document: part('reference')?.valueReference?.reference };
}
