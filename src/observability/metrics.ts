/**
 * Prometheus metrics (prom-client), one registry per process or app instance (never the global one, so tests can
 * run several apps). Labels are bounded sets only — forms, outcomes, stages, methods, statuses, queue names — never
 * note, job or resource ids. Queue gauges are read from Redis when scraped.
 */
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PipelineStage } from '../nlp/types.js';

/** What the queue gauges read from a queue. */
export type GaugedQueue = Pick<Queue, 'name' | 'getJobCounts' | 'getJobs'>;

/** Job states the queue gauge reports. */
export const GAUGED_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/** Buckets for whole-note latencies: from tens of milliseconds to minutes (retries with backoff). */
const NOTE_LATENCY_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Buckets for one stage or one request. */
const STEP_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The metrics of one process or app instance. */
export interface Metrics {
  readonly registry: Registry;
  /** `/notify` requests by recognised form and what came of them. */
  readonly notifications: Counter<'form' | 'outcome'>;
  /** Finished job attempts by queue and outcome (written, unchanged, skipped, retrying, failed). */
  readonly jobs: Counter<'queue' | 'outcome'>;
  /** From the job being queued (the notification or change) to its results being written. */
  readonly noteToResults: Histogram;
  readonly pipelineStage: Histogram<'stage'>;
  readonly fhirRequests: Counter<'method' | 'status'>;
  readonly fhirRequestDuration: Histogram<'method'>;
  /** The same requests by FHIR interaction (`read`, `search`, `transaction`, `update`, …; see `toFhirInteraction`). */
  readonly fhirInteraction: Histogram<'interaction'>;
  /** Inside the embedded store: time per request by interaction, from taking it to answering (journal included). */
  readonly storeRequest: Histogram<'interaction'>;
  /** Inside the embedded store: profile validation of one resource written. */
  readonly storeValidation: Histogram;
  readonly modelInference: Histogram;
  /** Records one stage's time (the pipeline's `onStage` callback). */
  observeStage(stage: PipelineStage, ms: number): void;
  /** Reports these queues' depths and oldest waiting job on every scrape (replaces earlier ones). */
  watchQueues(queues: readonly GaugedQueue[]): void;
}

/**
 * Creates a registry with Chartmine's metrics and Node's process metrics.
 * @returns the metrics.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let queues: readonly GaugedQueue[] = [];
  const pipelineStage = new Histogram({
    name: 'chartmine_pipeline_stage_seconds',
    help: 'Time per pipeline stage of one note (read, sections, matching, model, mapping, write)',
    labelNames: ['stage'] as const,
    buckets: STEP_BUCKETS_S,
    registers,
  });
  const modelInference = new Histogram({
    name: 'chartmine_model_inference_seconds',
    help: 'NER model inference time per note',
    buckets: STEP_BUCKETS_S,
    registers,
  });
  new Gauge({
    name: 'chartmine_queue_jobs',
    help: 'Jobs in each queue by state (read from Redis at scrape time)',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      for (const queue of queues) {
        const counts = await readOrUndefined(() => queue.getJobCounts(...GAUGED_JOB_STATES));
        if (!counts) continue; // Redis unreachable: no sample, rather than a failed scrape
        for (const state of GAUGED_JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'chartmine_queue_oldest_waiting_age_seconds',
    help: 'Age of the oldest job waiting in each queue (0 when none waits)',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      this.reset();
      for (const queue of queues) {
        const jobs = await readOrUndefined(() => queue.getJobs(['wait'], 0, 0, true));
        if (!jobs) continue;
        const [oldest] = jobs;
        this.set({ queue: queue.name }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
      }
    },
  });
  return {
    registry,
    notifications: new Counter({
      name: 'chartmine_notifications_total',
      help: 'Notifications received on /notify by form and outcome',
      labelNames: ['form', 'outcome'] as const,
      registers,
    }),
    jobs: new Counter({
      name: 'chartmine_jobs_total',
      help: 'Finished job attempts by queue and outcome',
      labelNames: ['queue', 'outcome'] as const,
      registers,
    }),
    noteToResults: new Histogram({
      name: 'chartmine_note_to_results_seconds',
      help: 'From a note version being queued to its results written (or found unchanged)',
      buckets: NOTE_LATENCY_BUCKETS_S,
      registers,
    }),
    pipelineStage,
    fhirRequests: new Counter({
      name: 'chartmine_fhir_requests_total',
      help: 'Requests to the FHIR server by method and status (error: no response)',
      labelNames: ['method', 'status'] as const,
      registers,
    }),
    fhirRequestDuration: new Histogram({
      name: 'chartmine_fhir_request_duration_seconds',
      help: 'Duration of requests to the FHIR server by method',
      labelNames: ['method'] as const,
      buckets: STEP_BUCKETS_S,
      registers,
    }),
    fhirInteraction: new Histogram({
      name: 'chartmine_fhir_interaction_seconds',
      help: 'Duration of requests to the FHIR server by interaction (read, vread, search, history, transaction, batch, create, update, delete)',
      labelNames: ['interaction'] as const,
      buckets: STEP_BUCKETS_S,
      registers,
    }),
    storeRequest: new Histogram({
      name: 'chartmine_store_request_seconds',
      help: 'Time the embedded FHIR store spends on one request by interaction (validation and journal included)',
      labelNames: ['interaction'] as const,
      buckets: STEP_BUCKETS_S,
      registers,
    }),
    storeValidation: new Histogram({
      name: 'chartmine_store_validation_seconds',
      help: 'Time the embedded FHIR store spends validating one resource written (base definition, profiles, bindings)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    modelInference,
    observeStage(stage, ms) {
      pipelineStage.observe({ stage }, ms / 1000);
      if (stage === 'model') modelInference.observe(ms / 1000);
    },
    watchQueues(next) {
      queues = next;
    },
  };
}

/** Longest a scrape waits for Redis (BullMQ connections queue commands while Redis is down, without a limit). */
export const QUEUE_SCRAPE_TIMEOUT_MS = 2_000;

/** The value, or undefined when the read fails or takes longer than {@link QUEUE_SCRAPE_TIMEOUT_MS}. */
async function readOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), QUEUE_SCRAPE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read(), timeout]);
  } catch (err: unknown) {
    void err; // Redis down or failing over: the process metrics still go out; the queue gauges are left out
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** HTTP methods used as label values; anything else is `other`. */
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

/**
 * A bounded method label.
 * @param method - the request method.
 * @returns the upper-case method, or `other`.
 */
export function toMethodLabel(method: string | undefined): string {
  const upper = (method ?? 'GET').toUpperCase();
  return METHODS.has(upper) ? upper : 'other';
}
