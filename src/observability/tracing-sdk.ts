/**
 * The OpenTelemetry SDK side of tracing: registers a tracer provider that exports spans over OTLP/HTTP. A module of
 * its own so that a process without OTEL_EXPORTER_OTLP_ENDPOINT never loads the SDK and its exporter; spans are made
 * through `@opentelemetry/api` in `tracing.ts`.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { CHARTMINE_VERSION } from '../version.js';

/** Where spans go. */
export interface TracingOptions {
  readonly serviceName: string;
  /** OTLP/HTTP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT); spans are posted to `<endpoint>/v1/traces`. */
  readonly endpoint?: string;
  /** Instead of the OTLP exporter (tests pass a SimpleSpanProcessor over an InMemorySpanExporter). */
  readonly spanProcessor?: SpanProcessor;
}

/** Registered tracing; shut it down to flush spans at exit. */
export interface Tracing {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Registers the global tracer provider, context manager (AsyncLocalStorage) and W3C propagator.
 * @param options - service name and where spans go.
 * @returns the tracing handle.
 */
export function startTracing(options: TracingOptions): Tracing {
  const processor =
    options.spanProcessor ??
    new BatchSpanProcessor(new OTLPTraceExporter({ url: `${(options.endpoint ?? 'http://127.0.0.1:4318').replace(/\/+$/, '')}/v1/traces` }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.version': CHARTMINE_VERSION }),
    spanProcessors: [processor],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return {
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
