/**
 * Operations wiring for the composition root: job metrics from worker events, the worker process's own `/metrics`
 * server (METRICS_PORT) and tracing start-up (OTEL_EXPORTER_OTLP_ENDPOINT). Kept apart from `runtime.ts`, which
 * wires the product itself.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'bullmq';
import { isLoopbackHost, type Config } from './config/config.js';
import { createMetricsHandler } from './http/metrics.routes.js';
import { ANALYZE_NOTE_QUEUE } from './queue/analyze-note.queue.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { Tracing } from './observability/tracing-sdk.js';

/**
 * Counts finished job attempts and times completed notes from the moment they were queued.
 * @param worker - the analyze-note worker.
 * @param metrics - the process's metrics.
 */
export function observeJobs<D, R extends { readonly outcome: string }>(worker: Worker<D, R>, metrics: Metrics): void {
  const queue = worker.name;
  worker.on('completed', (job, result) => {
    metrics.jobs.inc({ queue, outcome: result.outcome });
    // note-to-results is a note figure; feedback jobs count in jobs_total only.
    if (queue === ANALYZE_NOTE_QUEUE && result.outcome !== 'skipped') metrics.noteToResults.observe(Math.max(0, Date.now() - job.timestamp) / 1000);
  });
  worker.on('failed', (job, err) => {
    if (!job || err.name === 'DelayedError') return;
    const final = err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    metrics.jobs.inc({ queue, outcome: final ? 'failed' : 'retrying' });
  });
}

/** A running `/metrics` server of a worker process. */
export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` on METRICS_PORT (a `chartmine worker` has no other HTTP server), with the same access rule as
 * the main server: METRICS_TOKEN, or open on a loopback HOST only.
 * @param config - HOST, METRICS_PORT, METRICS_TOKEN.
 * @param metrics - the process's metrics.
 * @param log - the logger.
 * @returns the running server.
 */
export async function startMetricsServer(config: Config, metrics: Metrics, log: Logger): Promise<MetricsServer> {
  const { default: express } = await import('express'); // a worker without METRICS_PORT never loads Express
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', createMetricsHandler({ registry: metrics.registry, token: config.operations.metricsToken, openWithoutToken: isLoopbackHost(config.host) }));
  app.use((_req, res) => {
    res.status(404).type('application/fhir+json').json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
  });
  const server: Server = app.listen(config.operations.metricsPort, config.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  log.debug({ url }, 'worker metrics listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Starts tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set; only then is the OpenTelemetry SDK loaded.
 * @param config - the configuration.
 * @param log - the logger.
 * @returns the tracing handle, or undefined when tracing is off.
 */
export async function startConfiguredTracing(config: Config, log: Logger): Promise<Tracing | undefined> {
  const tracing = config.operations.tracing;
  if (!tracing) return undefined;
  const { startTracing } = await import('./observability/tracing-sdk.js');
  log.info({ otlpEndpoint: tracing.endpoint, serviceName: tracing.serviceName }, 'tracing on');
  return startTracing({ serviceName: tracing.serviceName, endpoint: tracing.endpoint });
}
