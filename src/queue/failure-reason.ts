/**
 * Failed jobs keep their reason as an OperationOutcome (JSON in BullMQ's `failedReason`), so operators and the
 * replay tooling read the same shape as HTTP clients. Only our own error messages go in: they carry ids and codes.
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { AppError, PartialWriteError, type ErrorCode } from '../errors.js';
import { CHARTMINE_CODES } from '../fhir/naming.js';

const ISSUE_CODES: Partial<Record<ErrorCode, OperationOutcomeIssue['code']>> = {
  'unsupported-content': 'not-supported',
  'document-too-large': 'too-long',
  'missing-subject': 'required',
  'upstream-unavailable': 'transient',
  'upstream-rejected': 'forbidden',
  'write-back-rejected': 'invalid',
  'document-busy': 'lock-error',
  'model-failure': 'exception',
  'lease-lost': 'conflict',
  'note-missing': 'not-found',
  'version-not-available': 'not-found',
  'partial-write': 'incomplete',
  'circuit-open': 'transient',
};

/**
 * The OperationOutcome describing why a job failed.
 * @param err - what the job threw.
 * @returns the outcome (no note text).
 */
export function toFailureOutcome(err: unknown): OperationOutcome {
  const code: ErrorCode | 'unexpected' = err instanceof AppError ? err.code : 'unexpected';
  const text = err instanceof AppError ? err.message : `unexpected ${err instanceof Error ? err.name : typeof err}`;
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: (err instanceof AppError ? ISSUE_CODES[err.code] : undefined) ?? 'exception',
        details: { coding: [{ system: CHARTMINE_CODES, code: `error-${code}` }], text },
      },
      // One issue per refused entry: resource type, index and status, never the resource.
      ...(err instanceof PartialWriteError
        ? err.refused.map(
            (r): OperationOutcomeIssue => ({
              severity: 'error',
              code: r.status === 403 || r.status === 401 ? 'forbidden' : 'processing',
              details: { text: `${r.resourceType} refused with ${r.status}` },
              expression: [`Bundle.entry[${r.index}]`],
            })
          )
        : []),
    ],
  };
}
