/**
 * Structured JSON logging (pino). PHI never reaches a log line: callers log ids, counts, timings and error codes;
 * redaction below is only a safety net, and `test/e2e/no-phi-in-logs.e2e.test.ts` enforces the rule.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { AppError } from '../errors.js';

/** The logger type every module receives. */
export type Logger = PinoLogger;

/** Paths that could carry note text or bodies if someone logged the wrong object. */
const REDACT_PATHS = [
  'text',
  'noteText',
  'note',
  'resource',
  'bundle',
  'body',
  'mentions',
  'data',
  '*.text',
  '*.data',
  '*.body',
  '*.resource',
  'req.body',
  'req.headers.authorization',
  'req.headers["x-signature"]',
  'req.headers.cookie',
];

/** The `note` field the job loggers bind: a note reference (ids may be logged). */
const NOTE_REFERENCE = /^DocumentReference\/[A-Za-z0-9\-.]{1,64}$/;

/**
 * Redacts text, not counts: a number or boolean under a sensitive key (`mentions: 12`) and the note reference jobs
 * log (`note: 'DocumentReference/123'`) say nothing beyond what ids already say; any other string, array or object
 * there could be note text or a resource body.
 * @param value - the value at a redacted path.
 * @param path - the path of keys to it.
 * @returns the value to log.
 */
export function censorText(value: unknown, path: readonly string[]): unknown {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return value;
  if (typeof value === 'string' && path.at(-1) === 'note' && NOTE_REFERENCE.test(value)) return value;
  return '[REDACTED]';
}

/**
 * Creates the root logger.
 * @param level - minimum level.
 * @param destination - where lines go (stdout by default; tests pass a sink).
 * @returns the logger.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'chartmine' },
      redact: { paths: REDACT_PATHS, censor: censorText },
      serializers: { err: serializeError },
      mixin: traceFields,
    },
    destination
  );
}

/**
 * Serialises an error without its message unless it is one of ours: messages from other libraries can quote
 * input (JSON parse errors quote the body), ours never do.
 * @param err - anything thrown.
 * @returns a loggable object.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) {
    return { type: typeof err };
  }
  const stack = err.stack?.split('\n').slice(1).join('\n');
  const base: Record<string, unknown> = { type: err.name, code: (err as { code?: unknown }).code, stack };
  if (err instanceof AppError) {
    base.message = err.message;
    base.retryable = err.retryable;
    if (err.cause !== undefined) {
      base.cause = serializeError(err.cause);
    }
  }
  return base;
}

/**
 * The active trace's id on every line written inside a span (a job, a notification), whichever logger wrote it;
 * nothing when tracing is off.
 * @returns the fields to add.
 */
function traceFields(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? { traceId: spanContext.traceId } : {};
}
