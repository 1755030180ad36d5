/**
 * The application's error family. Every error says whether retrying can help, and its message is safe to log:
 * it names ids, codes and content types, never note text. Imports nothing from `src/`.
 */

/** Stable machine-readable error codes; they appear in logs, failed-job reasons and metrics. */
export type ErrorCode =
  | 'invalid-notification'
  | 'unauthorized'
  | 'unsupported-content'
  | 'document-too-large'
  | 'missing-subject'
  | 'payload-too-large'
  | 'rate-limited'
  | 'upstream-unavailable'
  | 'upstream-rejected'
  | 'write-back-rejected'
  | 'document-busy'
  | 'lease-lost'
  | 'note-missing'
  | 'version-not-available'
  | 'partial-write'
  | 'circuit-open'
  | 'model-failure'
  | 'config';

/** Base class: a code, a retryable flag and a message that is safe to log. */
export class AppError extends Error {
  /**
   * @param code - machine-readable code.
   * @param message - safe to log: ids, codes, sizes; never note text or resource bodies.
   * @param retryable - whether the same work can succeed later.
   * @param options - keeps a wrapped error as `cause`.
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A notification or request body that is not something Chartmine can act on (HTTP 400/422). */
export class InvalidNotificationError extends AppError {
  /**
   * @param message - what is wrong, safe to return to the caller.
   * @param expression - FHIRPath-like location of the problem.
   * @param status - 400 for malformed syntax, 422 for a well-formed resource Chartmine cannot process.
   */
  constructor(
    message: string,
    readonly expression?: string,
    readonly status: 400 | 415 | 422 = 400
  ) {
    super('invalid-notification', message, false);
  }
}

/** Missing or wrong credentials on an inbound request. */
export class UnauthorizedError extends AppError {
  constructor(message = 'missing or invalid credentials') {
    super('unauthorized', message, false);
  }
}

/** A client sent more requests than its rate limit allows (HTTP 429 with Retry-After). */
export class RateLimitedError extends AppError {
  constructor(readonly retryAfterS: number) {
    super('rate-limited', 'too many requests', false);
  }
}

/** A request body larger than the configured limit. */
export class PayloadTooLargeError extends AppError {
  constructor(readonly limitBytes: number) {
    super('payload-too-large', `request body exceeds ${limitBytes} bytes`, false);
  }
}

/** A note Chartmine cannot read: unknown content type, charset, or missing attachment. Never retried. */
export class UnsupportedContentError extends AppError {
  constructor(message: string) {
    super('unsupported-content', message, false);
  }
}

/** A note larger than `MAX_DOCUMENT_BYTES`. Never retried. */
export class DocumentTooLargeError extends AppError {
  constructor(
    readonly sizeBytes: number,
    readonly limitBytes: number
  ) {
    super('document-too-large', `document is ${sizeBytes} bytes, limit is ${limitBytes}`, false);
  }
}

/** A note without a subject: nothing could be written for it. Never retried. */
export class MissingSubjectError extends AppError {
  constructor(noteRef: string) {
    super('missing-subject', `${noteRef} has no subject`, false);
  }
}

/** The FHIR server or Redis is unreachable, timed out, throttled us or answered 5xx. Retried with backoff. */
export class UpstreamError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('upstream-unavailable', message, true, options);
  }
}

/** The FHIR server refused a request for a reason retrying cannot fix (4xx other than 408/409/412/429). */
export class UpstreamRejectedError extends AppError {
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions
  ) {
    super('upstream-rejected', message, false, options);
  }
}

/** The FHIR server rejected our write-back transaction as invalid. Not retried: the same Bundle would fail again. */
export class WriteBackRejectedError extends AppError {
  constructor(
    message: string,
    readonly issueCodes: readonly string[],
    options?: ErrorOptions
  ) {
    super('write-back-rejected', message, false, options);
  }
}

/** Another worker holds the document's lock; the job is put back to wait without spending an attempt. */
export class DocumentBusyError extends AppError {
  constructor(noteRef: string) {
    super('document-busy', `${noteRef} is being processed by another worker`, true);
  }
}

/**
 * A run lost its note lease (it stalled, or Redis was unreachable past the lease): it must not write. The job is
 * put back and runs again from the start under a new lease (then it is superseded if the note changed meanwhile).
 */
export class LeaseLostError extends AppError {
  constructor(noteRef: string, reason: string, options?: ErrorOptions) {
    super('lease-lost', `lease on ${noteRef} lost: ${reason}`, true, options);
  }
}

/** The note cannot be read (404): not a success; retried in case the server lags, then failed and kept. */
export class NoteMissingError extends AppError {
  constructor(noteRef: string) {
    super('note-missing', `${noteRef} was not found on the FHIR server`, true);
  }
}

/** The job names a note version the server does not serve (yet): retried with backoff, then failed and kept. */
export class VersionNotAvailableError extends AppError {
  constructor(noteRef: string, versionId: string, currentVersionId: string) {
    super('version-not-available', `${noteRef} version ${versionId} is not served yet (current: ${currentVersionId})`, true);
  }
}

/** A refused entry of a transaction the server ran entry by entry. */
export interface RefusedEntry {
  readonly index: number;
  readonly resourceType: string;
  readonly status: number;
}

/**
 * The server committed part of a transaction and refused the rest (a server running `transaction` non-atomically,
 * e.g. Medplum without the `transaction-bundles` feature). What was committed has been undone (or `undone` is
 * false and the message says so). Retryable only when every refusal was transient.
 */
export class PartialWriteError extends AppError {
  constructor(
    readonly refused: readonly RefusedEntry[],
    readonly undone: boolean,
    retryable: boolean
  ) {
    super(
      'partial-write',
      `transaction partly refused: ${refused.map((r) => `entry ${r.index} (${r.resourceType}) ${r.status}`).join(', ')}; ` +
        (undone ? 'committed entries undone' : 'undoing committed entries failed, the next run repairs them'),
      retryable
    );
  }
}

/** The FHIR server's circuit is open after repeated timeouts or outages: work waits (delayed) until it closes. */
export class CircuitOpenError extends AppError {
  constructor(readonly retryAtMs: number) {
    super('circuit-open', 'FHIR server circuit open after repeated failures', true);
  }
}

/** The NLP model could not be loaded or run. Retryable only where the same batch can run again (a thread stopped). */
export class ModelError extends AppError {
  constructor(message: string, options?: ErrorOptions, retryable = false) {
    super('model-failure', message, retryable, options);
  }
}

/** Invalid configuration: start-up stops. The message names variables, never their values. */
export class ConfigError extends AppError {
  constructor(message: string) {
    super('config', message, false);
  }
}

/**
 * A file a command was pointed at (data set, release, build input) is missing; the message names the path and
 * what it should be. Commands print it and exit 1.
 */
export class MissingInputError extends Error {
  constructor(
    readonly path: string,
    what: string
  ) {
    super(`missing ${what}: ${path}`);
    this.name = 'MissingInputError';
  }
}
