/**
 * The worker side of composition: what a process that analyses notes needs (the pipeline, BullMQ workers, the FHIR
 * client), and nothing of the server's (HTTP, the embedded store, the admin and reviewer pages). `chartmine worker`
 * loads this module alone; `runtime.ts` uses it for `serve`'s in-process workers.
 */
import type { Worker } from 'bullmq';
import type { Device, Reference } from '@medplum/fhirtypes';
import type { Config } from './config/config.js';
import { ConfigError } from './errors.js';
import { buildFeedbackSoftwareInfo } from './feedback/feedback-software.js';
import { selectSentimentClassifier } from './feedback/select-sentiment-classifier.js';
import { createFhirClient, fhirStepDeadline } from './fhir/client-factory.js';
import type { FhirGateway, MedplumFhirGateway } from './fhir/gateway.js';
import type { AnalyzeFeedbackJobData, AnalyzeFeedbackResult } from './jobs/analyze-feedback.job.js';
import type { AnalyzeNoteJobData, AnalyzeNoteResult } from './jobs/analyze-note.job.js';
import type { NlpPipeline } from './nlp/types.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createStageRunner } from './observability/tracing.js';
import type { PipelineEdges } from './pipeline-loader.js';
import { buildPipelineDevice, buildSoftwareInfo, type SoftwareInfo } from './provenance/software.js';
import { AnalyzeFeedbackProducer } from './queue/analyze-feedback.queue.js';
import { closeRedis, createRedis, RedisStatus } from './queue/connection.js';
import { NoteLocks } from './queue/document-lock.js';
import { startAnalyzeFeedbackWorker } from './queue/feedback-worker.js';
import { resolveQueueNamespace } from './queue/namespace.js';
import { startAnalyzeNoteWorker } from './queue/workers.js';
import { observeJobs, startMetricsServer } from './runtime-operations.js';
import { CHARTMINE_VERSION } from './version.js';

/** Loads the NLP pipeline once per process; `edges` offers Redis for caches (terminology server answers). */
export type PipelineLoader = (edges: PipelineEdges) => Promise<NlpPipeline>;
/** A running worker. */
export interface WorkerHandle {
  readonly worker: Worker<AnalyzeNoteJobData, AnalyzeNoteResult>;
  /** The patient-feedback worker; `undefined` with SENTIMENT_MODEL=none (feedback jobs wait in their queue). */
  readonly feedbackWorker: Worker<AnalyzeFeedbackJobData, AnalyzeFeedbackResult> | undefined;
  readonly software: SoftwareInfo;
  /** The queue namespace and prefix it consumes. */
  readonly queue: { readonly namespace: string; readonly prefix: string };
  /** Stops taking jobs; running ones get up to `drainMs` to finish (none while Redis is down); closes Redis. */
  close(drainMs?: number): Promise<void>;
}

/** How long running jobs may take to finish when the process stops, unless the caller says otherwise. */
export const DEFAULT_DRAIN_MS = 25_000;

/**
 * Starts a worker process alone (`chartmine worker`); it needs FHIR_BASE_URL.
 * @param config - the configuration.
 * @param log - the root logger.
 * @param loadPipeline - loads the NLP pipeline.
 * @returns the running worker.
 */
export async function startWorkerProcess(config: Config, log: Logger, loadPipeline: PipelineLoader): Promise<WorkerHandle> {
  if (config.fhir.kind !== 'external') {
    throw new ConfigError(
      'FHIR_BASE_URL: required for `chartmine worker` (to use a server\'s embedded store, set it to http://<server>:8080/fhir/R4)'
    );
  }
  if (config.workers < 1) {
    throw new ConfigError('WORKERS: must be at least 1 for `chartmine worker`');
  }
  const metrics = createMetrics();
  const gateway = await createFhirClient(config, { metrics });
  const handle = await startWorker(config, log, gateway, loadPipeline, resolveQueueNamespace(config), new RedisStatus(log), metrics);
  const metricsServer = config.operations.metricsPort > 0 ? await startMetricsServer(config, metrics, log) : undefined;
  log.info({ fhir: config.fhir.baseUrl, queueNamespace: handle.queue.namespace, queuePrefix: handle.queue.prefix, workers: config.workers, pipelineVersion: handle.software.pipelineVersion, metricsUrl: metricsServer?.url }, 'chartmine worker started');
  if (!metricsServer) return handle;
  return {
    ...handle,
    async close(drainMs = DEFAULT_DRAIN_MS) {
      await handle.close(drainMs);
      await metricsServer.close();
    },
  };
}

/**
 * Starts the note and feedback workers of a process (`chartmine worker`, or `serve` with WORKERS > 0): loads the
 * pipeline and the sentiment classifier, opens its Redis connections and consumes the queue's jobs.
 * @param config - the configuration.
 * @param log - the root logger.
 * @param gateway - the FHIR server the jobs read and write.
 * @param loadPipeline - loads the NLP pipeline.
 * @param queue - the queue namespace and prefix to consume.
 * @param redisStatus - the process's Redis status (one log line per change).
 * @param metrics - the process's metrics.
 * @returns the running workers.
 */
export async function startWorker(
  config: Config,
  log: Logger,
  gateway: MedplumFhirGateway,
  loadPipeline: PipelineLoader,
  queue: { readonly namespace: string; readonly prefix: string },
  redisStatus: RedisStatus,
  metrics: Metrics
): Promise<WorkerHandle> {
  const workerRedis = createRedis(config.redisUrl, 'worker');
  const lockRedis = createRedis(config.redisUrl, 'client');
  redisStatus.watch(workerRedis, 'worker', (err) => log.warn({ err }, 'redis connection error'));
  redisStatus.watch(lockRedis, 'client', (err) => log.warn({ err }, 'redis connection error'));
  const nlp = await loadPipeline({ redis: lockRedis, prefix: config.queuePrefix });
  const classifier = await selectSentimentClassifier(config);
  const software = buildSoftwareInfo(CHARTMINE_VERSION, nlp.info);
  // The note job hands feedback-typed DocumentReferences over to the feedback queue.
  const handOffRedis = createRedis(config.redisUrl, 'producer');
  redisStatus.watch(handOffRedis, 'producer', (err) => log.warn({ err }, 'redis connection error'));
  const handOff = new AnalyzeFeedbackProducer(handOffRedis, queue.prefix);
  handOff.queue.on('error', (err) => {
    if (!redisStatus.failed('queue', err)) log.error({ err }, 'queue error');
  });
  // What the note and feedback workers share: how they consume the queue, and the ports both jobs use.
  const consumer = {
    connection: workerRedis,
    prefix: queue.prefix,
    concurrency: Math.max(1, config.workers),
    locks: new NoteLocks(lockRedis, queue.prefix),
    log,
    circuit: gateway.circuit,
    onError: (err: Error) => {
      if (!redisStatus.failed('worker', err)) log.error({ err }, 'worker error');
    },
  };
  const ports = {
    fhir: gateway,
    nlp,
    auditEvents: config.auditEvents,
    maxDocumentBytes: config.maxDocumentBytes,
    clock: { nowIso: () => new Date().toISOString() },
    log,
    // One deadline per step (read, write, audit), however many requests the step makes; each request also has
    // FHIR_TIMEOUT_MS.
    step: fhirStepDeadline(config),
  };
  const worker = startAnalyzeNoteWorker({
    ...consumer,
    deps: {
      ...ports,
      software,
      device: pipelineDevice(gateway, software),
      mapping: config.mapping,
      processPreliminary: config.processPreliminary,
      stage: createStageRunner((stage, ms) => metrics.observeStage(stage, ms)),
      handOffFeedback: async (noteId, versionId, requestId) => {
        // A deliberate reprocess (`chartmine reprocess` sets requestId to its run id) must not collapse into the
        // feedback job that already ran for this version: it gets the run as its suffix, as the note job did.
        const options = requestId.startsWith('reprocess-') ? { jobIdSuffix: requestId } : {};
        await handOff.enqueue({ resourceType: 'DocumentReference', id: noteId, versionId, requestId }, options);
      },
    },
  });
  const feedbackWorker = classifier
    ? startAnalyzeFeedbackWorker({
        ...consumer,
        deps: { ...ports, classifier, ...feedbackSoftware(gateway, software, classifier) },
      })
    : undefined;
  observeJobs(worker, metrics);
  if (feedbackWorker) observeJobs(feedbackWorker, metrics);
  if (!classifier) log.warn({ sentimentModel: config.sentimentModel }, 'feedback analysis is off: feedback jobs wait in their queue');
  return {
    worker,
    feedbackWorker,
    software,
    queue,
    async close(drainMs = DEFAULT_DRAIN_MS) {
      // While Redis is down a running job can neither finish nor be marked done: close at once (force).
      const closing = Promise.all([worker.close(redisStatus.isDown), feedbackWorker?.close(redisStatus.isDown)]);
      closing.catch((err: unknown) => log.warn({ err }, 'worker close failed'));
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        closing.then(() => true, () => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), drainMs))),
      ]);
      clearTimeout(timer);
      if (!drained) log.warn({ drainMs }, 'jobs still running at shutdown; their lock expires and they are retried');
      await handOff.close().catch((err: unknown) => log.warn({ err }, 'feedback hand-off queue close failed'));
      await Promise.allSettled([closeRedis(workerRedis), closeRedis(lockRedis), closeRedis(handOffRedis)]);
    },
  };
}

/**
 * The feedback pipeline's software (the note pipeline's components plus the classifier, so the classifier's name and
 * version are in the Device and the pipeline version) and its Device, created once per process.
 * @param gateway - the FHIR gateway.
 * @param notes - the note pipeline's software.
 * @param classifier - the sentiment classifier.
 * @returns the software and the Device getter.
 */
function feedbackSoftware(
  gateway: FhirGateway,
  notes: SoftwareInfo,
  classifier: { readonly name: string; readonly version: string }
): { software: SoftwareInfo; device: () => Promise<Reference<Device>> } {
  const software = buildFeedbackSoftwareInfo(CHARTMINE_VERSION, notes, classifier);
  return { software, device: pipelineDevice(gateway, software) };
}

/**
 * The pipeline's Device on the FHIR server, found or created at the first job that needs it and kept for the process.
 * A failure is not kept: the next job tries again.
 * @param gateway - the FHIR gateway.
 * @param software - the pipeline the Device describes.
 * @returns the Device getter the jobs call.
 */
function pipelineDevice(gateway: FhirGateway, software: SoftwareInfo): () => Promise<Reference<Device>> {
  let device: Promise<Reference<Device>> | undefined;
  return () => {
    device ??= gateway.ensureDevice(buildPipelineDevice(software)).catch((err: unknown) => {
      device = undefined;
      throw err;
    });
    return device;
  };
}
