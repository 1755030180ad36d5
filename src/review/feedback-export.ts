/**
 * `chartmine feedback export`: reviewer decisions as JSONL records for error analysis and training. Pure: the
 * Provenance and the finding's versions before and after are read by the caller. No note text unless asked for
 * (`sentence`, passed in only with `--include-text`).
 */
import type { Coding, Extension, Provenance, Resource } from '@medplum/fhirtypes';
import { ASSERTION_EXTENSION_URL, DERIVATION_REFERENCE_URL } from '../fhir/naming.js';
import { decisionOfActivity, type ReviewDecisionKind } from './review-codes.js';

/** One decision, one JSONL line. */
export interface FeedbackRecord {
  readonly provenance: string;
  readonly resource: string;
  /** The version the decision produced. */
  readonly resourceVersion: string | undefined;
  readonly note: string | undefined;
  readonly noteVersion: string | undefined;
  readonly span: { readonly start: number; readonly end: number } | undefined;
  /** The finding's kind: its resource type. */
  readonly label: string;
  readonly decision: ReviewDecisionKind;
  readonly original: FindingLabel | null;
  /** What the reviewer set (corrections only; null otherwise). */
  readonly corrected: FindingLabel | null;
  readonly reviewer: string;
  readonly recorded: string | undefined;
  /** The sentence around the span, only with `--include-text`. */
  readonly sentence?: string;
}

/** Code and assertion of a finding version. */
export interface FindingLabel {
  readonly code: readonly Coding[];
  readonly assertion: string | undefined;
}

/** A versioned reference split up. */
export interface VersionedRef {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: string | undefined;
}

/**
 * Splits `Type/id[/_history/vid]`.
 * @param reference - the reference.
 * @returns its parts, or undefined when it is not one.
 */
export function parseVersionedRef(reference: string | undefined): VersionedRef | undefined {
  const m = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/.exec(reference ?? '');
  return m ? { resourceType: m[1], id: m[2], versionId: m[3] } : undefined;
}

/**
 * The record of one decision.
 * @param provenance - the decision's Provenance.
 * @param before - the finding as the reviewer saw it (entity `revision`).
 * @param after - the finding as the decision left it (the versioned target).
 * @param sentence - the sentence around the span, or undefined (the default: no text leaves).
 * @returns the record, or undefined when the Provenance is not a reviewer decision.
 */
export function toFeedbackRecord(provenance: Provenance & { id: string }, before: Resource | undefined, after: Resource | undefined, sentence?: string): FeedbackRecord | undefined {
  const decision = decisionOfActivity((provenance.activity?.coding ?? []).map((c) => c.code));
  if (!decision) return undefined;
  const target = parseVersionedRef(provenance.target[0]?.reference);
  const finding = before ?? after;
  const derivation = (finding as { extension?: Extension[] } | undefined)?.extension?.find((e) => e.url === DERIVATION_REFERENCE_URL);
  const part = (url: string): Extension | undefined => derivation?.extension?.find((e) => e.url === url);
  const note = parseVersionedRef(part('reference')?.valueReference?.reference);
  const offset = part('offset')?.valueInteger;
  const length = part('length')?.valueInteger;
  const who = provenance.agent.find((a) => a.type?.coding?.some((c) => c.code === 'verifier'))?.who ?? provenance.agent[0]?.who;
  return {
    provenance: `Provenance/${provenance.id}`,
    resource: target ? `${target.resourceType}/${target.id}` : (provenance.target[0]?.reference ?? ''),
    resourceVersion: target?.versionId ?? after?.meta?.versionId,
    note: note ? `DocumentReference/${note.id}` : undefined,
    noteVersion: note?.versionId,
    span: offset !== undefined && length !== undefined ? { start: offset, end: offset + length } : undefined,
    label: target?.resourceType ?? finding?.resourceType ?? 'unknown',
    decision,
    original: before ? labelOf(before) : null,
    corrected: decision === 'correct' && after ? labelOf(after) : null,
    reviewer: who?.reference ?? who?.identifier?.value ?? who?.display ?? 'unknown',
    recorded: provenance.recorded,
    ...(sentence !== undefined ? { sentence } : {}),
  };
}

/**
 * The sentence of `text` that holds `[start, end)`: from the last sentence end (`.`, `!`, `?`, `;`, a line break)
 * before it to the next one after it.
 * @param text - the note text.
 * @param start - span start.
 * @param end - span end.
 * @returns the sentence, trimmed.
 */
export function sentenceAround(text: string, start: number, end: number): string {
  const boundary = /[.!?;\n]/;
  let from = Math.max(0, Math.min(start, text.length));
  while (from > 0 && !boundary.test(text[from - 1])) from--;
  let to = Math.max(from, Math.min(end, text.length));
  while (to < text.length && !boundary.test(text[to])) to++;
  return text.slice(from, Math.min(text.length, to + 1)).trim();
}

function labelOf(resource: Resource): FindingLabel {
  const r = resource as { code?: { coding?: Coding[] }; medicationCodeableConcept?: { coding?: Coding[] }; extension?: Extension[] };
  const concept = r.code ?? r.medicationCodeableConcept;
  return {
    code: (concept?.coding ?? []).map((c) => ({ system: c.system, code: c.code, display: c.display })),
    assertion: r.extension?.find((e) => e.url === ASSERTION_EXTENSION_URL)?.valueCode,
  };
}
