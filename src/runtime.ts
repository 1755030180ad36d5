/**
 * Composition: builds the edges (Redis, BullMQ, Express, MedplumClient, the pipeline) from the configuration and
 * wires them to the pure core. The only module that knows every other one. `main.ts`/CLI commands call it.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'bullmq';
import type { Device, Reference } from '@medplum/fhirtypes';
import type { Config } from './config/config.js';
import { ConfigError } from './errors.js';
import { EmbeddedFhirStore } from './embedded/embedded-store.js';
import { buildEmbeddedCapabilityStatement } from './fhir/capability-statement.js';
import { DEFAULT_MAPPING_OPTIONS } from './fhir/finding-types.js';
import { MedplumFhirGateway, type FhirGateway } from './fhir/gateway.js';
import { createApp } from './http/app.js';
import type { AnalyzeNoteJobData, AnalyzeNoteResult } from './jobs/analyze-note.job.js';
import type { NlpPipeline } from './nlp/types.js';
import type { Logger } from './observability/logger.js';
import { buildPipelineDevice, buildSoftwareInfo, type SoftwareInfo } from './provenance/software.js';
import { AnalyzeNoteProducer } from './queue/analyze-note.queue.js';
import { ChangeRelay } from './queue/change-relay.js';
import { createRedis } from './queue/connection.js';
import { NoteLocks } from './queue/document-lock.js';
import { QueueNoteEventSink } from './queue/note-event-sink.js';
import { startAnalyzeNoteWorker } from './queue/workers.js';
import { CHARTMINE_VERSION } from './version.js';

/** Loads the NLP pipeline once per process. */
export type PipelineLoader = () => Promise<NlpPipeline>;

/** A running server. */
export interface ServerHandle {
  /** Base URL the server listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** FHIR base the worker reads and writes (the embedded `/fhir/R4/` or FHIR_BASE_URL). */
  readonly fhirBaseUrl: string;
  readonly store: EmbeddedFhirStore | undefined;
  readonly producer: AnalyzeNoteProducer;
  readonly worker: WorkerHandle | undefined;
  /** Resolves once embedded-store changes seen so far are queued. */
  settled(): Promise<void>;
  /** Stops HTTP, drains the worker, closes queues and Redis. */
  close(): Promise<void>;
}

/** A running worker. */
export interface WorkerHandle {
  readonly worker: Worker<AnalyzeNoteJobData, AnalyzeNoteResult>;
  readonly software: SoftwareInfo;
  close(): Promise<void>;
}

/**
 * Starts the HTTP server, and an in-process worker when `config.workers > 0`.
 * @param config - the configuration.
 * @param log - the root logger.
 * @param loadPipeline - loads the NLP pipeline (only called when workers run here).
 * @returns the running server.
 */
export async function startServer(config: Config, log: Logger, loadPipeline: PipelineLoader): Promise<ServerHandle> {
  const producerRedis = createRedis(config.redisUrl, 'producer');
  const clientRedis = createRedis(config.redisUrl, 'client');
  const producer = new AnalyzeNoteProducer(producerRedis, config.queuePrefix);
  producer.queue.on('error', (err) => log.error({ err }, 'queue error'));
  const store =
    config.fhir.kind === 'embedded'
      ? new EmbeddedFhirStore(buildEmbeddedCapabilityStatement(CHARTMINE_VERSION, new Date().toISOString()))
      : undefined;

  let gateway: FhirGateway | undefined;
  const sink = new QueueNoteEventSink(producer, async (noteId) => {
    const note = await requireGateway(gateway).readNote(noteId);
    return note?.meta?.versionId;
  });
  let worker: WorkerHandle | undefined;
  let pipelineReady = false;
  const app = createApp({
    log,
    sink,
    store,
    maxDocumentBytes: config.maxDocumentBytes,
    readiness: {
      redis: async () => {
        await clientRedis.ping();
      },
      fhir: store ? async () => undefined : async () => requireGateway(gateway).checkReachable(),
      pipeline:
        config.workers > 0
          ? async () => {
              if (!pipelineReady) throw new Error('pipeline not loaded yet');
            }
          : undefined,
    },
  });
  const server = app.listen(config.port, config.host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const loopback = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}`;
  const fhirBaseUrl = config.fhir.kind === 'external' ? config.fhir.baseUrl : `${url}/fhir/R4/`;
  gateway = new MedplumFhirGateway({ baseUrl: fhirBaseUrl, timeoutMs: config.fhir.timeoutMs });

  const relay = new ChangeRelay(sink, log);
  store?.repo.onChange((change) => relay.onChange(change));

  if (config.workers > 0) {
    worker = await startWorker(config, log, gateway, await loadPipeline());
    pipelineReady = true;
  }
  log.info(
    { url, fhir: config.fhir.kind, workers: config.workers, pipelineVersion: worker?.software.pipelineVersion },
    'chartmine server started'
  );
  return {
    url,
    fhirBaseUrl,
    store,
    producer,
    worker,
    settled: () => relay.settled(),
    async close() {
      await closeServer(server);
      await worker?.close();
      relay.close();
      await producer.close();
      await Promise.allSettled([producerRedis.quit(), clientRedis.quit()]);
    },
  };
}

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
  const gateway = new MedplumFhirGateway({ baseUrl: config.fhir.baseUrl, timeoutMs: config.fhir.timeoutMs });
  const handle = await startWorker(config, log, gateway, await loadPipeline());
  log.info({ fhir: config.fhir.baseUrl, workers: config.workers, pipelineVersion: handle.software.pipelineVersion }, 'chartmine worker started');
  return handle;
}

async function startWorker(config: Config, log: Logger, gateway: FhirGateway, nlp: NlpPipeline): Promise<WorkerHandle> {
  const workerRedis = createRedis(config.redisUrl, 'worker');
  const lockRedis = createRedis(config.redisUrl, 'client');
  const software = buildSoftwareInfo(CHARTMINE_VERSION, nlp.info);
  let device: Promise<Reference<Device>> | undefined;
  const ensureDevice = (): Promise<Reference<Device>> => {
    device ??= gateway.ensureDevice(buildPipelineDevice(software)).catch((err: unknown) => {
      device = undefined; // do not cache a failure: the next job tries again
      throw err;
    });
    return device;
  };
  const worker = startAnalyzeNoteWorker({
    connection: workerRedis,
    prefix: config.queuePrefix,
    concurrency: Math.max(1, config.workers),
    locks: new NoteLocks(lockRedis, config.queuePrefix),
    log,
    deps: {
      fhir: gateway,
      nlp,
      software,
      device: ensureDevice,
      mapping: DEFAULT_MAPPING_OPTIONS,
      maxDocumentBytes: config.maxDocumentBytes,
      clock: { nowIso: () => new Date().toISOString() },
      log,
    },
  });
  return {
    worker,
    software,
    async close() {
      await worker.close();
      await Promise.allSettled([workerRedis.quit(), lockRedis.quit()]);
    },
  };
}

function requireGateway(gateway: FhirGateway | undefined): FhirGateway {
  if (!gateway) throw new ConfigError('FHIR gateway used before the server started');
  return gateway;
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
