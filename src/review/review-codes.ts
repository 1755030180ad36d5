/**
 * Chartmine's codes and URLs for reviewer decisions: the tag that protects a reviewed finding from re-analysis, the
 * tag on each decision's Provenance (how `feedback export` finds them), and the activity codes. One place, because
 * these strings are a contract with whoever searches for decisions.
 */
import type { Resource } from '@medplum/fhirtypes';
import { CHARTMINE_CANONICAL, CHARTMINE_CODES } from '../fhir/naming.js';

/** What a reviewer decided about a finding. */
export type ReviewDecisionKind = 'accept' | 'reject' | 'correct';

/** Meta tag on a finding a reviewer decided on: re-analysis never updates or retracts it. */
export const REVIEWED_TAG = { system: CHARTMINE_CODES, code: 'reviewed', display: 'Reviewed by a person' } as const;

/** Meta tag on each decision's Provenance: `Provenance?_tag=<CHARTMINE_CODES>|review-decision`. */
export const REVIEW_DECISION_TAG = { system: CHARTMINE_CODES, code: 'review-decision', display: 'Reviewer decision' } as const;

/** Provenance.activity coding (besides v3-DataOperation) naming the decision. */
export const REVIEW_ACTIVITY: Readonly<Record<ReviewDecisionKind, { readonly code: string; readonly display: string }>> = {
  accept: { code: 'review-accept', display: 'Reviewer accepted the finding' },
  reject: { code: 'review-reject', display: 'Reviewer rejected the finding' },
  correct: { code: 'review-correct', display: 'Reviewer corrected the finding' },
};

/** Extension on a reviewed finding: the decision (`accept`, `reject`, `correct`); the Provenance says who and when. */
export const REVIEW_EXTENSION_URL = `${CHARTMINE_CANONICAL}/StructureDefinition/nlp-review`;

/** Identifier system of reviewers that are not `Practitioner/<id>` references (REVIEW_TOKEN ids). */
export const REVIEWER_IDENTIFIER_SYSTEM = `${CHARTMINE_CANONICAL}/sid/reviewer`;

/**
 * The reviewer decision of a Provenance, if it records one.
 * @param activityCodes - the codes of Provenance.activity.
 * @returns the decision, or undefined.
 */
export function decisionOfActivity(activityCodes: readonly (string | undefined)[]): ReviewDecisionKind | undefined {
  return (Object.keys(REVIEW_ACTIVITY) as ReviewDecisionKind[]).find((k) => activityCodes.includes(REVIEW_ACTIVITY[k].code));
}

/**
 * Whether a reviewer decided on this finding (re-analysis must leave it as it is).
 * @param resource - a derived resource.
 * @returns true when tagged `reviewed`.
 */
export function isReviewed(resource: Resource): boolean {
  return resource.meta?.tag?.some((t) => t.system === REVIEWED_TAG.system && t.code === REVIEWED_TAG.code) ?? false;
}
