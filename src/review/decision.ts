/**
 * A reviewer's decision on a finding, as FHIR: the finding's next version and a Provenance, in one transaction
 * guarded by `If-Match` on the version the reviewer saw. Pure: the time is passed in.
 * - accept: tagged `reviewed`; a Condition (or AllergyIntolerance) becomes `confirmed`;
 * - reject: `entered-in-error` the FHIR way for each type (the same retraction the worker uses);
 * - correct: another code and/or assertion (a Condition's verification and clinical status follow the assertion).
 * Every decision marks the finding `reviewed` (tag and `nlp-review` extension), which re-analysis leaves alone.
 */
import { createHash } from 'node:crypto';
import type { Bundle, CodeableConcept, Coding, Extension, Practitioner, Provenance, Reference, Resource } from '@medplum/fhirtypes';
import { ASSERTION_EXTENSION_URL, CHARTMINE_CODES, DERIVATION_REFERENCE_URL, SOURCE_DOCUMENT_TAG_SYSTEM } from '../fhir/naming.js';
import { retract } from '../fhir/write-back.js';
import type { Assertion } from '../nlp/types.js';
import { CONDITION_VER_STATUS, PROVENANCE_PARTICIPANT_TYPE, V3_DATA_OPERATION } from '../terminology/systems.js';
import {
  REVIEW_ACTIVITY,
  REVIEW_DECISION_TAG,
  REVIEW_EXTENSION_URL,
  REVIEWED_TAG,
  REVIEWER_IDENTIFIER_SYSTEM,
  type ReviewDecisionKind,
} from './review-codes.js';

/** The assertions a reviewer may choose when correcting. */
export const REVIEW_ASSERTIONS: readonly Assertion[] = ['affirmed', 'negated', 'possible', 'historical', 'family', 'hypothetical'];

/** A decision as the page sends it. */
export type ReviewDecision =
  | { readonly kind: 'accept' | 'reject' }
  | { readonly kind: 'correct'; readonly code?: Coding; readonly assertion?: Assertion };

/** Who decided (from REVIEW_TOKEN). */
export interface Reviewer {
  readonly id: string;
}

/** Input of `buildReviewTransaction`. */
export interface ReviewInput {
  /** The finding as the reviewer saw it (its `meta.versionId` guards the update). */
  readonly resource: Resource & { id: string };
  readonly decision: ReviewDecision;
  readonly reviewer: Reviewer;
  readonly recorded: string;
}

const ALLERGY_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';

/**
 * The reviewer as a Provenance agent: `Practitioner/<id>` is referenced, anything else is an identifier.
 * @param reviewer - the reviewer.
 * @returns the reference.
 */
export function toReviewerReference(reviewer: Reviewer): Reference<Practitioner> {
  return /^Practitioner\/[A-Za-z0-9\-.]{1,64}$/.test(reviewer.id)
    ? { reference: reviewer.id, display: reviewer.id }
    : { identifier: { system: REVIEWER_IDENTIFIER_SYSTEM, value: reviewer.id }, display: reviewer.id };
}

/**
 * Builds the transaction that records a decision.
 * @param input - the finding, the decision, the reviewer and the time.
 * @returns the transaction: the finding's PUT (with If-Match) and the Provenance's POST.
 */
export function buildReviewTransaction(input: ReviewInput): Bundle {
  const { resource } = input;
  const ref = `${resource.resourceType}/${resource.id}`;
  const versionId = resource.meta?.versionId;
  const next = nextVersion(resource, input.decision);
  const provenance = buildReviewProvenance(input);
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: ref, resource: next, request: { method: 'PUT', url: ref, ...(versionId ? { ifMatch: `W/"${versionId}"` } : {}) } },
      {
        fullUrl: `urn:uuid:${uuidFrom(`review|${ref}|${versionId ?? ''}|${input.recorded}`)}`,
        resource: provenance,
        request: { method: 'POST', url: 'Provenance' },
      },
    ],
  };
}

/**
 * The decision's Provenance: agent `verifier` = the reviewer, activity UPDATE (NULLIFY for a rejection) plus
 * Chartmine's decision code, entity = the version the reviewer saw and the note version it was derived from.
 */
function buildReviewProvenance(input: ReviewInput): Provenance {
  const { resource } = input;
  const ref = `${resource.resourceType}/${resource.id}`;
  const versionId = resource.meta?.versionId;
  const noteId = resource.meta?.tag?.find((t) => t.system === SOURCE_DOCUMENT_TAG_SYSTEM)?.code;
  const source = documentVersionOf(resource);
  const activity = REVIEW_ACTIVITY[input.decision.kind];
  return {
    resourceType: 'Provenance',
    meta: { tag: [REVIEW_DECISION_TAG, ...(noteId ? [{ system: SOURCE_DOCUMENT_TAG_SYSTEM, code: noteId }] : [])] },
    target: [{ reference: ref }],
    recorded: input.recorded,
    activity: {
      coding: [
        input.decision.kind === 'reject'
          ? { system: V3_DATA_OPERATION, code: 'NULLIFY', display: 'nullify' }
          : { system: V3_DATA_OPERATION, code: 'UPDATE', display: 'revise' },
        { system: CHARTMINE_CODES, ...activity },
      ],
    },
    agent: [
      {
        type: { coding: [{ system: PROVENANCE_PARTICIPANT_TYPE, code: 'verifier', display: 'Verifier' }] },
        who: toReviewerReference(input.reviewer),
      },
    ],
    entity: [
      { role: 'revision', what: { reference: versionId ? `${ref}/_history/${versionId}` : ref } },
      ...(source ? [{ role: 'source' as const, what: { reference: source } }] : []),
    ],
  };
}

/** The next version of the finding: the decision applied, marked reviewed, server metadata dropped. */
function nextVersion(resource: Resource & { id: string }, decision: ReviewDecision): Resource {
  const base = (decision.kind === 'reject' ? retract(resource) : structuredClone(resource)) as Resource & Record<string, unknown>;
  if (decision.kind === 'accept') confirm(base);
  if (decision.kind === 'correct') {
    if (decision.code) base.code = toCodeableConcept(decision.code);
    if (decision.assertion) applyAssertion(base, decision.assertion);
  }
  const tags = (resource.meta?.tag ?? []).filter((t) => !(t.system === REVIEWED_TAG.system && t.code === REVIEWED_TAG.code));
  const extension = ((base.extension as Extension[] | undefined) ?? []).filter((e) => e.url !== REVIEW_EXTENSION_URL);
  return {
    ...base,
    id: resource.id,
    meta: { ...(resource.meta?.profile ? { profile: [...resource.meta.profile] } : {}), tag: [...tags, REVIEWED_TAG] },
    extension: [...extension, { url: REVIEW_EXTENSION_URL, valueCode: decision.kind satisfies ReviewDecisionKind }],
  } as Resource;
}

function confirm(resource: Record<string, unknown>): void {
  if (resource.resourceType === 'Condition') {
    resource.verificationStatus = { coding: [{ system: CONDITION_VER_STATUS, code: 'confirmed', display: 'Confirmed' }] };
  }
  if (resource.resourceType === 'AllergyIntolerance') {
    resource.verificationStatus = { coding: [{ system: ALLERGY_VERIFICATION, code: 'confirmed', display: 'Confirmed' }] };
  }
}

/** The assertion extension, and for a Condition the statuses the README's mapping table gives that assertion. */
function applyAssertion(resource: Record<string, unknown>, assertion: Assertion): void {
  const extension = (resource.extension as Extension[] | undefined) ?? [];
  resource.extension = [...extension.filter((e) => e.url !== ASSERTION_EXTENSION_URL), { url: ASSERTION_EXTENSION_URL, valueCode: assertion }];
  if (resource.resourceType !== 'Condition') return;
  const status = (code: string, display: string): CodeableConcept => ({ coding: [{ system: CONDITION_VER_STATUS, code, display }] });
  const active: CodeableConcept = { coding: [{ system: CONDITION_CLINICAL, code: 'active', display: 'Active' }] };
  switch (assertion) {
    case 'negated':
      resource.verificationStatus = status('refuted', 'Refuted');
      delete resource.clinicalStatus;
      return;
    case 'hypothetical':
    case 'family':
      resource.verificationStatus = status('unconfirmed', 'Unconfirmed');
      delete resource.clinicalStatus;
      return;
    case 'possible':
      resource.verificationStatus = status('provisional', 'Provisional');
      resource.clinicalStatus = active;
      return;
    case 'historical':
      resource.verificationStatus = status('confirmed', 'Confirmed');
      return;
    case 'affirmed':
      resource.verificationStatus = status('confirmed', 'Confirmed');
      resource.clinicalStatus = active;
      return;
  }
}

function toCodeableConcept(code: Coding): CodeableConcept {
  return { coding: [{ system: code.system, code: code.code, ...(code.display ? { display: code.display } : {}) }], text: code.display ?? code.code };
}

/** The note version the finding's first span points at. */
export function documentVersionOf(resource: Resource): string | undefined {
  const derivation = (resource as { extension?: Extension[] }).extension?.find((e) => e.url === DERIVATION_REFERENCE_URL);
  return derivation?.extension?.find((e) => e.url === 'reference')?.valueReference?.reference;
}

/** A deterministic UUID-shaped id for the Provenance's `urn:uuid:`. */
function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
