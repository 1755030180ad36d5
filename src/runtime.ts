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
import { NO_AUTH, staticBearerAuth } from './fhir/auth.js';
import { createConfiguredAuth, createFhirClient } from './fhir/client-factory.js';
import { buildEmbeddedCapabilityStatement, buildServiceCapabilityStatement } from './fhir/capability-statement.js';
import { FhirChangedNotes } from './fhir/changed-notes.js';
import type { FhirGateway, MedplumFhirGateway } from './fhir/gateway.js';
import { createApp } from './http/app.js';
import { CatchUp } from './ingest/catch-up.js';
import { handleNotification } from './ingest/handle-notification.js';
import { startPoller, type Poller } from './ingest/poller.js';
import type { AnalyzeNoteJobData, AnalyzeNoteResult } from './jobs/analyze-note.job.js';
import type { NlpPipeline } from './nlp/types.js';
import type { PipelineEdges } from './pipeline-loader.js';
import type { Logger } from './observability/logger.js';
import { buildPipelineDevice, buildSoftwareInfo, type SoftwareInfo } from './provenance/software.js';
import { AnalyzeNoteProducer } from './queue/analyze-note.queue.js';
import { ChangeRelay } from './queue/change-relay.js';
import { createRedis } from './queue/connection.js';
import { NoteLocks } from './queue/document-lock.js';
import { RedisIngestState } from './queue/ingest-state.js';
import { QueueNoteEventSink } from './queue/note-event-sink.js';
import { startAnalyzeNoteWorker } from './queue/workers.js';
import { CHARTMINE_VERSION } from './version.js';

/** Loads the NLP pipeline once per process; `edges` offers Redis for caches (terminology server answers). */
export type PipelineLoader = (edges: PipelineEdges) => Promise<NlpPipeline>;

/** A running server. */
export interface ServerHandle {
  /** Base URL the server listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** FHIR base the worker reads and writes (the embedded `/fhir/R4/` or FHIR_BASE_URL). */
  readonly fhirBaseUrl: string;
  readonly store: EmbeddedFhirStore | undefined;
  readonly producer: AnalyzeNoteProducer;
  readonly worker: WorkerHandle | undefined;
  /** Catch-ups (pings, gaps, polling). */
  readonly catchUp: CatchUp;
  /** Resolves once embedded-store changes seen so far are queued and requested catch-ups have run. */
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
  for (const redis of [producerRedis, clientRedis]) redis.on('error', (err) => log.warn({ err }, 'redis connection error'));
  const producer = new AnalyzeNoteProducer(producerRedis, config.queuePrefix);
  producer.queue.on('error', (err) => log.error({ err }, 'queue error'));
  const startedAt = new Date().toISOString();
  const store =
    config.fhir.kind === 'embedded'
      ? new EmbeddedFhirStore(
          buildEmbeddedCapabilityStatement(CHARTMINE_VERSION, startedAt, config.publicUrl ? `${config.publicUrl.replace(/\/$/, '')}/fhir/R4` : undefined)
        )
      : undefined;
  const serviceCapability = buildServiceCapabilityStatement(CHARTMINE_VERSION, startedAt, config.publicUrl);

  // Read before listening: an unreadable key file or a bad key stops start-up as a configuration error.
  const externalAuth = config.fhir.kind === 'external' ? await createConfiguredAuth(config, config.fhir.baseUrl) : undefined;
  let gateway: MedplumFhirGateway | undefined;
  const sink = new QueueNoteEventSink(producer, async (noteId) => {
    const read = await requireGateway(gateway).readNote(noteId);
    return read.state === 'found' ? read.note.meta?.versionId : undefined;
  });
  const ingestState = new RedisIngestState(clientRedis, config.queuePrefix);
  let changedNotes: FhirChangedNotes | undefined;
  const catchUp = new CatchUp({
    state: ingestState,
    source: {
      readFirstPage: (since) => requireValue(changedNotes).readFirstPage(since),
      readPage: (url) => requireValue(changedNotes).readPage(url),
    },
    sink,
    log,
    since: config.ingest.catchUpSince,
  });
  let worker: WorkerHandle | undefined;
  let pipelineReady = false;
  const app = createApp({
    log,
    notify: {
      handle: (notification, requestId) => handleNotification(notification, requestId, { sink, catchUp, events: ingestState, log }),
      auth: { secret: config.notifySecret, header: config.ingest.secretHeader },
      rateLimitPerMinute: config.ingest.rateLimitPerMinute,
    },
    store,
    apiToken: config.apiToken,
    maxDocumentBytes: config.maxDocumentBytes,
    capabilityStatement: () => serviceCapability,
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
  // The in-process worker reaches the embedded store over HTTP, so it presents API_TOKEN like any client.
  const auth = externalAuth ?? (config.apiToken ? staticBearerAuth(config.apiToken) : NO_AUTH);
  gateway = await createFhirClient(config, { baseUrl: fhirBaseUrl, auth });
  changedNotes = new FhirChangedNotes(gateway, { filter: config.ingest.pollQuery });
  for (const warning of securityWarnings(config)) {
    log.warn({ security: true }, warning);
  }

  const relay = new ChangeRelay(sink, log);
  store?.repo.onChange((change) => relay.onChange(change));
  catchUp.kick(); // a catch-up requested before a crash or restart runs now
  const poller: Poller | undefined = config.ingest.pollIntervalMs ? startPoller(catchUp, config.ingest.pollIntervalMs, log) : undefined;

  if (config.workers > 0) {
    worker = await startWorker(config, log, gateway, loadPipeline);
    pipelineReady = true;
  }
  log.info(
    { url, fhir: config.fhir.kind, fhirAuth: config.fhirAuth.kind, workers: config.workers, pollIntervalMs: config.ingest.pollIntervalMs, pipelineVersion: worker?.software.pipelineVersion },
    'chartmine server started'
  );
  return {
    url,
    fhirBaseUrl,
    store,
    producer,
    worker,
    catchUp,
    async settled() {
      await relay.settled();
      await catchUp.settled();
    },
    async close() {
      poller?.stop();
      await closeServer(server);
      await catchUp.close();
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
  const gateway = await createFhirClient(config);
  const handle = await startWorker(config, log, gateway, loadPipeline);
  log.info({ fhir: config.fhir.baseUrl, workers: config.workers, pipelineVersion: handle.software.pipelineVersion }, 'chartmine worker started');
  return handle;
}

async function startWorker(config: Config, log: Logger, gateway: FhirGateway, loadPipeline: PipelineLoader): Promise<WorkerHandle> {
  const workerRedis = createRedis(config.redisUrl, 'worker');
  const lockRedis = createRedis(config.redisUrl, 'client');
  for (const redis of [workerRedis, lockRedis]) redis.on('error', (err) => log.warn({ err }, 'redis connection error'));
  const nlp = await loadPipeline({ redis: lockRedis, prefix: config.queuePrefix });
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
      mapping: config.mapping,
      processPreliminary: config.processPreliminary,
      auditEvents: config.auditEvents,
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

/**
 * Start-up warnings about an open door: notifications or the embedded store without credentials while the server
 * listens beyond loopback.
 * @param config - the configuration.
 * @returns the warnings (empty when none apply).
 */
export function securityWarnings(config: Config): string[] {
  if (isLoopback(config.host)) return [];
  const warnings: string[] = [];
  if (!config.notifySecret) {
    warnings.push(`SECURITY: NOTIFY_SECRET is unset and HOST=${config.host} is not loopback: anyone who can reach /notify can queue work`);
  }
  if (config.fhir.kind === 'embedded' && !config.apiToken) {
    warnings.push(`SECURITY: API_TOKEN is unset and HOST=${config.host} is not loopback: anyone who can reach /fhir/R4 can read and write it`);
  }
  return warnings;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function requireGateway(gateway: FhirGateway | undefined): FhirGateway {
  if (!gateway) throw new ConfigError('FHIR gateway used before the server started');
  return gateway;
}

function requireValue<T>(value: T | undefined): T {
  if (value === undefined) throw new ConfigError('used before the server started');
  return value;
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
