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

/**
 * Builds the error middleware.
 * @param log - the logger (errors are logged without their body).
 * @returns the middleware.
 */
export function createErrorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const { status, outcome: body } = toHttpOutcome(err);
    const fields = { err, status, requestId: res.locals.requestId as string | undefined, path: req.path };
    if (status >= 500) log.error(fields, 'request failed');
    else log.warn(fields, 'request refused');
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="chartmine"');
    res.status(status).type('application/fhir+json').json(body);
  };
}

/** 404 for any route nobody handled. */
export const notFoundHandler: RequestHandler = (_req, res) => {
  res.status(404).type('application/fhir+json').json(outcome('not-found', 'Not found'));
};
