/**
 * The one error handler: every failure leaves as a FHIR OperationOutcome with the right status. Messages of other
 * libraries never reach the client (they can quote the body); ours are safe by construction.
 */
import { badRequest } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, InvalidNotificationError, PayloadTooLargeError, RateLimitedError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

/** Sent for anything unexpected. */
const FAILED: OperationOutcome = {
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'exception', details: { text: 'Request could not be processed' } }],
};

/** Sent when a dependency (Redis, the FHIR server) is unavailable: the caller should retry. */
const UNAVAILABLE: OperationOutcome = {
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'transient', details: { text: 'Service temporarily unavailable; retry later' } }],
};

function outcome(code: OperationOutcome['issue'][number]['code'], text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

/** Errors thrown by Express's body parsers carry a `type` and a `status`. */
interface BodyParserError {
  readonly type?: string;
  readonly status?: number;
  readonly limit?: number;
}

/**
 * Maps an error to an HTTP status and OperationOutcome.
 * @param err - anything thrown.
 * @returns the status and outcome.
 */
export function toHttpOutcome(err: unknown): { status: number; outcome: OperationOutcome } {
  if (err instanceof InvalidNotificationError) {
    return { status: err.status, outcome: badRequest(err.message, err.expression) };
  }
  if (err instanceof PayloadTooLargeError) {
    return { status: 413, outcome: outcome('too-long', err.message) };
  }
  if (err instanceof AppError && err.code === 'unauthorized') {
    return { status: 401, outcome: outcome('login', 'Unauthorized') };
  }
  if (err instanceof RateLimitedError) {
    return { status: 429, outcome: outcome('throttled', 'Too many requests; retry later') };
  }
  if (err instanceof AppError && err.retryable) {
    return { status: 503, outcome: UNAVAILABLE };
  }
  const parserError = err as BodyParserError;
  switch (parserError?.type) {
    case 'entity.too.large':
      return { status: 413, outcome: outcome('too-long', `request body exceeds ${parserError.limit ?? 'the'} bytes`) };
    case 'entity.parse.failed':
      return { status: 400, outcome: outcome('structure', 'body is not valid JSON') };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, outcome: outcome('not-supported', 'unsupported body encoding') };
    case 'request.aborted':
      return { status: 400, outcome: outcome('incomplete', 'request aborted') };
    default:
      return { status: 500, outcome: FAILED };
  }
}

/** A path segment logged as is: FHIR id syntax (ids may be logged); anything else a sender chose is not. */
const LOGGABLE_SEGMENT = /^[A-Za-z0-9\-.$_]{1,64}$/;

/**
 * Resource types a path may name in a log line. A segment in a type's place that is not one of them is a value the
 * sender chose (`/notify/<anything>/1`), so it is masked like any other.
 */
const LOGGABLE_TYPES = new Set([
  'DocumentReference', 'Binary', 'Patient', 'Encounter', 'Practitioner', 'Organization', 'Condition',
  'MedicationStatement', 'Observation', 'FamilyMemberHistory', 'AllergyIntolerance', 'Provenance', 'AuditEvent',
  'Device', 'Bundle', 'Subscription', 'SubscriptionTopic', 'SubscriptionStatus', 'Parameters', 'OperationOutcome',
  'CapabilityStatement', 'StructureDefinition', 'CodeSystem', 'ValueSet', 'ConceptMap', 'Basic',
]);

/**
 * The request path as it may be logged: without the query string; an id-shaped segment is kept, a capitalised one
 * only when it names a known resource type, anything else becomes `{other}` (paths below /notify are the sender's).
 * @param url - the request URL or path.
 * @returns the loggable path.
 */
export function toLoggablePath(url: string): string {
  return url
    .split('?')[0]
    .split('/')
    .map((segment) => {
      if (segment === '' || segment === 'R4') return segment;
      if (/^[A-Z]/.test(segment)) return LOGGABLE_TYPES.has(segment) ? segment : '{other}';
      return LOGGABLE_SEGMENT.test(segment) ? segment : '{other}';
    })
    .join('/');
}

/**
 * Builds the error middleware.
 * @param log - the logger (errors are logged without their body).
 * @returns the middleware.
 */
export function createErrorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const { status, outcome: body } = toHttpOutcome(err);
    logRequestFailure(log, err, status, toLoggablePath(req.path), res.locals.requestId as string | undefined);
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="chartmine"');
    res.status(status).type('application/fhir+json').json(body);
  };
}

/**
 * Logs a request that failed: an error with its stack at 500 and above; a refusal (the client's problem, not ours)
 * as one line naming the request and the rule.
 * @param log - the logger.
 * @param err - what was thrown.
 * @param status - the status answered ({@link toHttpOutcome}).
 * @param path - the loggable path ({@link toLoggablePath}).
 * @param requestId - the request's id, when it has one.
 */
export function logRequestFailure(log: Logger, err: unknown, status: number, path: string, requestId: string | undefined): void {
  if (status >= 500) {
    log.error({ err, status, requestId, path }, 'request failed');
  } else {
    const code = err instanceof AppError ? err.code : (err as BodyParserError | undefined)?.type;
    log.warn({ status, requestId, path, code }, 'request refused');
  }
}

/** 404 for any route nobody handled. */
export const notFoundHandler: RequestHandler = (_req, res) => {
  res.status(404).type('application/fhir+json').json(outcome('not-found', 'Not found'));
};
