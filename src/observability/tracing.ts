/**
 * OpenTelemetry tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (then spans go over OTLP/HTTP). Code calls
 * `@opentelemetry/api` only, which is a no-op until `startTracing` (`tracing-sdk.ts`, loaded only when tracing is
 * on) registers a provider. One trace per note:
 * `notify` → `queue.add` (the W3C `traceparent` goes into the job data: an id, not PHI) → `job analyze-note` →
 * `stage …` → `fhir.read`/`fhir.transaction`. Span attributes are ids, counts, codes and stage names, never text.
 */
import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { AppError } from '../errors.js';
import type { PipelineStage, StageRunner } from '../nlp/types.js';
import { CHARTMINE_VERSION } from '../version.js';

/** Instrumentation scope of every Chartmine span. */
export const TRACER_NAME = 'chartmine';

function tracer() {
  return trace.getTracer(TRACER_NAME, CHARTMINE_VERSION);
}

/**
 * Runs `fn` in a new active span (a child of the active one, or of `parent`), ending it when `fn` settles. A failure
 * marks the span with the error's type and our error code; its message stays out (library messages can quote input).
 * @param name - span name.
 * @param attributes - ids, counts, codes only.
 * @param fn - the work.
 * @param parent - the parent context (default: the active one).
 * @returns what `fn` returns.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, parent: Context = context.active()): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err: unknown) {
      markFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

function markFailed(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof AppError ? err.code : err instanceof Error ? err.name : typeof err });
  span.setAttribute('error.type', err instanceof AppError ? err.code : err instanceof Error ? err.name : typeof err);
}

/**
 * The active context as a W3C `traceparent`, to carry in job data.
 * @returns the header value, or undefined when no span is recording (tracing off).
 */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/**
 * The context a job's `traceparent` names (the root context without one).
 * @param traceparent - from the job data.
 * @returns the parent context of the job's span.
 */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/**
 * A stage runner that opens a span `stage <name>` around each stage and reports its duration.
 * @param observe - told each stage's milliseconds (the metrics).
 * @returns the runner to pass to the job and pipeline.
 */
export function createStageRunner(observe?: (stage: PipelineStage, ms: number) => void): StageRunner {
  return <T>(stage: PipelineStage, fn: () => T): T => {
    const span = tracer().startSpan(`stage ${stage}`, { attributes: { 'chartmine.stage': stage } });
    const started = performance.now();
    const done = (): void => {
      observe?.(stage, performance.now() - started);
      span.end();
    };
    let result: T;
    try {
      result = context.with(trace.setSpan(context.active(), span), fn);
    } catch (err: unknown) {
      markFailed(span, err);
      done();
      throw err;
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          done();
          return value;
        },
        (err: unknown) => {
          markFailed(span, err);
          done();
          throw err;
        }
      ) as T;
    }
    done();
    return result;
  };
}

/**
 * A FHIR request's span name from its method and URL: `fhir.transaction` (POST to the base), `fhir.read` (GET),
 * `fhir.create`, `fhir.update`, `fhir.delete`.
 * @param method - the request method.
 * @param url - the request URL.
 * @param baseUrl - the FHIR base.
 * @returns the span name.
 */
export function toFhirSpanName(method: string, url: string, baseUrl: string): string {
  const upper = method.toUpperCase();
  if (upper === 'GET' || upper === 'HEAD') return 'fhir.read';
  if (upper === 'POST') return url.replace(/\/+$/, '') === baseUrl.replace(/\/+$/, '') ? 'fhir.transaction' : 'fhir.create';
  if (upper === 'PUT' || upper === 'PATCH') return 'fhir.update';
  if (upper === 'DELETE') return 'fhir.delete';
  return 'fhir.request';
}
