/**
 * Composition: builds the edges (Redis, BullMQ, Express, MedplumClient, the pipeline) from the configuration and
 * wires them to the pure core. The server's side lives here (`chartmine serve`); what a process needs to analyse
 * notes lives in `worker-runtime.ts`, which `chartmine worker` loads without this module.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost, type Config } from './config/config.js';
import { ConfigError } from './errors.js';
import { EmbeddedFhirStore } from './embedded/embedded-store.js';
import { NO_AUTH, staticBearerAuth } from './fhir/auth.js';
import { createConfiguredAuth, createFhirCircuit, createFhirClient } from './fhir/client-factory.js';
import { buildEmbeddedCapabilityStatement, buildServiceCapabilityStatement } from './fhir/capability-statement.js';
import { FhirChangedNotes } from './fhir/changed-notes.js';
import type { FhirGateway, MedplumFhirGateway } from './fhir/gateway.js';
import { createApp } from './http/app.js';
import { createInProcessFhirFetch } from './http/fhir-in-process.js';
import { CatchUp } from './ingest/catch-up.js';
import { handleNotification } from './ingest/handle-notification.js';
import { startPoller, type Poller } from './ingest/poller.js';
import type { Logger } from './observability/logger.js';
import { AnalyzeNoteProducer } from './queue/analyze-note.queue.js';
import { AnalyzeFeedbackProducer } from './queue/analyze-feedback.queue.js';
import { ChangeRelay } from './queue/change-relay.js';
import { closeRedis, createRedis, RedisStatus } from './queue/connection.js';
import { resolveQueueNamespace } from './queue/namespace.js';
import { RedisIngestState } from './queue/ingest-state.js';
import { FileWatermark } from './embedded/store-journal.js';
import { RedisRecovery, type WatermarkStore } from './ingest/redis-recovery.js';
import { readRedisDurability, type RedisDurability } from './observability/redis-durability.js';
import { QueueNoteEventSink } from './queue/note-event-sink.js';
import { ReviewService } from './review/review-service.js';
import { loadTerminologyIndex } from './terminology/load-index.js';
import type { TerminologyIndex } from './terminology/types.js';
import { CHARTMINE_VERSION } from './version.js';
import { createAdminRoutes } from './http/admin.routes.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { inSpan } from './observability/tracing.js';
import { openKnownQueues } from './queue/known-queues.js';
import { startMetricsServer } from './runtime-operations.js';
import { DEFAULT_DRAIN_MS, startWorker, type PipelineLoader, type WorkerHandle } from './worker-runtime.js';

/** A running server. */
export interface ServerHandle {
  /** Base URL the server listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** FHIR base the worker reads and writes (the embedded `/fhir/R4/` or FHIR_BASE_URL). */
  readonly fhirBaseUrl: string;
  /** The queue namespace of that FHIR server, and the key prefix of its jobs and note leases. */
  readonly queue: { readonly namespace: string; readonly prefix: string };
  readonly store: EmbeddedFhirStore | undefined;
  readonly producer: AnalyzeNoteProducer;
  /** The patient-feedback queue's producer. */
  readonly feedbackProducer: AnalyzeFeedbackProducer;
  readonly worker: WorkerHandle | undefined;
  /** The process's metrics (what `/metrics` serves; the server bench reads its profile from them). */
  readonly metrics: Metrics;
  /** Catch-ups (pings, gaps, polling). */
  readonly catchUp: CatchUp;
  /** The catch-up watermark and the check for a Redis that lost its data. */
  readonly recovery: RedisRecovery;
  /** Resolves once embedded-store changes seen so far are queued and requested catch-ups have run. */
  settled(): Promise<void>;
  /**
   * Stops HTTP and the catch-ups, drains the worker (running jobs get up to `drainMs` to finish; after that, or at
   * once while Redis is down, they are left for BullMQ to put back when their lock expires), closes queues and Redis.
   */
  close(drainMs?: number): Promise<void>;
}

/**
 * Starts the HTTP server, and an in-process worker when `config.workers > 0`.
 * @param config - the configuration.
 * @param log - the root logger.
 * @param loadPipeline - loads the NLP pipeline (only called when workers run here).
 * @returns the running server.
 */
export async function startServer(config: Config, log: Logger, loadPipeline: PipelineLoader): Promise<ServerHandle> {
  // While Redis is down every connection fails on each reconnect: one status logs the change, not each failure.
  const redisStatus = new RedisStatus(log);
  const producerRedis = createRedis(config.redisUrl, 'producer');
  const clientRedis = createRedis(config.redisUrl, 'client');
  redisStatus.watch(producerRedis, 'producer', (err) => log.warn({ err }, 'redis connection error'));
  redisStatus.watch(clientRedis, 'client', (err) => log.warn({ err }, 'redis connection error'));
  // The producer is keyed by the FHIR server's namespace, known once the server listens (its own URL).
  let producer: AnalyzeNoteProducer | undefined;
  let feedbackProducer: AnalyzeFeedbackProducer | undefined;
  const startedAt = new Date().toISOString();
  const store = config.fhir.kind === 'embedded' ? await openEmbeddedStore(config, startedAt, log) : undefined;
  const serviceCapability = buildServiceCapabilityStatement(CHARTMINE_VERSION, startedAt, config.publicUrl);

  // Read before listening: an unreadable key file or a bad key stops start-up as a configuration error.
  const externalAuth = config.fhir.kind === 'external' ? await createConfiguredAuth(config, config.fhir.baseUrl) : undefined;
  let gateway: MedplumFhirGateway | undefined;
  const sink = new QueueNoteEventSink(
    () => requireValue(producer),
    async (noteId) => {
      const read = await requireGateway(gateway).readNote(noteId);
      return read.state === 'found' ? read.note.meta?.versionId : undefined;
    },
    {
      producer: () => requireValue(feedbackProducer),
      resolveVersion: async (resourceType, id) => {
        const read = await requireValue(gateway).readSource(resourceType, id);
        return read.state === 'found' ? read.resource.meta?.versionId : undefined;
      },
    }
  );
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
  // Per server instance, never the global registry: tests run several servers in one process.
  const metrics = createMetrics();
  const admin = createAdminRoutes({ token: config.operations.adminToken, open: config.operations.adminOpen });
  let redisDurability: RedisDurability | undefined;
  let namespace: { namespace: string; prefix: string } | undefined;
  const circuit = createFhirCircuit(config);
  store?.instrument({
    request: (interaction, ms) => metrics.storeRequest.observe({ interaction }, ms / 1000),
    validated: (ms) => metrics.storeValidation.observe(ms / 1000),
  });
  const app = createApp({
    log,
    notify: {
      handle: (notification, requestId) =>
        inSpan('notify', { 'chartmine.notification.form': notification.form, 'chartmine.request_id': requestId }, async () => {
          const outcome = await handleNotification(notification, requestId, { sink, catchUp, events: ingestState, log });
          const counted = outcome.jobIds.length > 0 ? 'queued' : outcome.catchUp ? 'catch-up' : 'ignored';
          metrics.notifications.inc({ form: notification.form, outcome: counted });
          return outcome;
        }),
      auth: { secret: config.notifySecret, header: config.ingest.secretHeader },
      rateLimitPerMinute: config.ingest.rateLimitPerMinute,
    },
    store,
    apiToken: config.apiToken,
    maxDocumentBytes: config.maxDocumentBytes,
    capabilityStatement: () => serviceCapability,
    admin: admin.router,
    metrics: { registry: metrics.registry, token: config.operations.metricsToken, openWithoutToken: isLoopback(config.host), notifications: metrics.notifications },
    ...(config.reviewers
      ? {
          review: {
            reviewers: config.reviewers,
            service: new ReviewService({
              fhir: () => requireValue(gateway),
              maxDocumentBytes: config.maxDocumentBytes,
              now: () => new Date().toISOString(),
              terminology: lazyTerminology(config.terminology.dir),
            }),
          },
        }
      : {}),
    readinessDetails: () => ({
      redis: redisDurability ?? { appendonly: 'checking', save: 'checking', maxmemoryPolicy: 'checking', warnings: [] },
      queueNamespace: namespace?.namespace ?? 'starting',
      fhirCircuit: circuit.state,
    }),
    readiness: {
      redis: async () => {
        await clientRedis.ping();
      },
      // Honest while the breaker is open: requests to the server fail at once, so the server is not usable.
      fhir: store
        ? async () => {
            if (!store.healthy) throw new Error('the embedded store cannot write to DATA_DIR');
            circuit.assertClosed();
          }
        : async () => {
            circuit.assertClosed();
            await requireGateway(gateway).checkReachable();
          },
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
  namespace = resolveQueueNamespace(config, url);
  producer = new AnalyzeNoteProducer(producerRedis, namespace.prefix);
  const onQueueError = (err: Error): void => {
    if (!redisStatus.failed('queue', err)) log.error({ err }, 'queue error');
  };
  producer.queue.on('error', onQueueError);
  feedbackProducer = new AnalyzeFeedbackProducer(producerRedis, namespace.prefix);
  feedbackProducer.queue.on('error', onQueueError);
  // The dashboard and the queue gauges show every queue the process knows, in this server's namespace.
  const knownQueues = openKnownQueues(producerRedis, namespace.prefix, onQueueError);
  admin.showQueues(knownQueues);
  metrics.watchQueues(knownQueues);
  // The server's own client presents API_TOKEN like any client; towards its embedded store its requests skip the
  // socket (README "The embedded FHIR store"), the store's checks and answers unchanged.
  const auth = externalAuth ?? (config.apiToken ? staticBearerAuth(config.apiToken) : NO_AUTH);
  const transport = store
    ? createInProcessFhirFetch({ store, baseUrl: fhirBaseUrl, apiToken: config.apiToken, maxDocumentBytes: config.maxDocumentBytes, log })
    : undefined;
  gateway = await createFhirClient(config, { baseUrl: fhirBaseUrl, auth, circuit, metrics, transport });
  changedNotes = new FhirChangedNotes(gateway, { filter: config.ingest.pollQuery });
  for (const warning of securityWarnings(config)) {
    log.warn({ security: true }, warning);
  }

  const relay = new ChangeRelay(sink, log);
  store?.repo.onChange((change) => relay.onChange(change));
  // Redis must keep what /notify acknowledged: say so loudly once when it is not set up to (README "Configuration").
  void readRedisDurability(clientRedis).then((report) => {
    redisDurability = report;
    for (const warning of report.warnings) {
      log.warn({ redis: { appendonly: report.appendonly, save: report.save, maxmemoryPolicy: report.maxmemoryPolicy } }, `REDIS DURABILITY: ${warning}`);
    }
  });
  const recovery = new RedisRecovery({
    state: ingestState,
    watermark: config.storage.kind === 'file' ? new FileWatermark(config.storage.dataDir) : memoryWatermark(),
    queueIdle: async () => {
      const counts = await requireValue(producer).queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      return Object.values(counts).every((n) => n === 0);
    },
    relayIdle: () => relay.backlog === 0,
    requestCatchUp: (reason) => catchUp.request(reason),
    embedded: store !== undefined,
    catchUpAtStart: store !== undefined && config.storage.kind === 'file',
    log,
  });
  const recoveryFailed = (err: unknown): void => log.warn({ err }, 'redis data-loss check failed, will retry on reconnect');
  await recovery.start().catch(recoveryFailed);
  clientRedis.on('ready', () => void recovery.checkEpoch().catch(recoveryFailed)); // after every reconnect
  catchUp.kick(); // a catch-up requested before a crash or restart runs now
  const poller: Poller | undefined = config.ingest.pollIntervalMs ? startPoller(catchUp, config.ingest.pollIntervalMs, log) : undefined;

  // METRICS_PORT: /metrics also on a port of its own (e.g. one the network exposes only to Prometheus).
  const metricsServer = config.operations.metricsPort > 0 ? await startMetricsServer(config, metrics, log) : undefined;
  if (config.workers > 0) {
    worker = await startWorker(config, log, gateway, loadPipeline, namespace, redisStatus, metrics);
    pipelineReady = true;
  }
  log.info(
    { url, fhir: config.fhir.kind, queueNamespace: namespace.namespace, queuePrefix: namespace.prefix, fhirAuth: config.fhirAuth.kind, workers: config.workers, pollIntervalMs: config.ingest.pollIntervalMs, pipelineVersion: worker?.software.pipelineVersion },
    'chartmine server started'
  );
  const startedProducer = producer;
  const startedFeedbackProducer = feedbackProducer;
  return {
    url,
    fhirBaseUrl,
    queue: namespace,
    store,
    producer: startedProducer,
    feedbackProducer: startedFeedbackProducer,
    worker,
    metrics,
    catchUp,
    recovery,
    async settled() {
      await relay.settled();
      await catchUp.settled();
    },
    async close(drainMs = DEFAULT_DRAIN_MS) {
      poller?.stop();
      await closeServer(server);
      await recovery.close();
      await catchUp.close();
      await worker?.close(drainMs);
      relay.close();
      await startedProducer.close();
      await startedFeedbackProducer.close();
      await Promise.allSettled(knownQueues.map((q) => q.close()));
      await metricsServer?.close();
      await store?.close();
      await Promise.allSettled([closeRedis(producerRedis), closeRedis(clientRedis)]);
    },
  };
}

/**
 * The embedded store: in DATA_DIR (loaded from its snapshot and journal), or in memory with `STORE=memory`.
 * @param config - the configuration.
 * @param startedAt - for the CapabilityStatement.
 * @param log - the logger.
 * @returns the store.
 */
async function openEmbeddedStore(config: Config, startedAt: string, log: Logger): Promise<EmbeddedFhirStore> {
  const statement = buildEmbeddedCapabilityStatement(CHARTMINE_VERSION, startedAt, config.publicUrl ? `${config.publicUrl.replace(/\/$/, '')}/fhir/R4` : undefined);
  if (config.storage.kind === 'memory') {
    log.warn({ store: 'memory' }, 'embedded FHIR store is in memory only (STORE=memory): everything is lost on restart');
    return new EmbeddedFhirStore(statement);
  }
  const started = Date.now();
  const store = await EmbeddedFhirStore.open(statement, {
    dataDir: config.storage.dataDir,
    onSnapshotError: (err) => log.error({ err }, 'embedded store snapshot failed: the store stops taking requests (disk full?)'),
  });
  log.info({ store: 'file', dataDir: config.storage.dataDir, ...store.loadReport, loadMs: Date.now() - started }, 'embedded FHIR store loaded');
  if (store.loadReport?.tornBytes) {
    log.warn({ tornBytes: store.loadReport.tornBytes }, 'embedded store journal ended in a torn write (never acknowledged); it was cut off');
  }
  return store;
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
  if (config.reviewers && !config.publicUrl?.startsWith('https://')) {
    warnings.push(`SECURITY: /review is open to reviewers and HOST=${config.host} is not loopback: serve it behind TLS (and set PUBLIC_URL=https://…), or tokens and note text cross the network in clear`);
  }
  return warnings;
}

function isLoopback(host: string): boolean {
  return isLoopbackHost(host);
}

/** The watermark of a process without a data folder (STORE=memory): it covers Redis restarts while it runs. */
function memoryWatermark(): WatermarkStore {
  let value: string | undefined;
  return {
    read: () => value,
    write: (instant) => {
      value = instant;
    },
  };
}

function requireGateway(gateway: FhirGateway | undefined): FhirGateway {
  if (!gateway) throw new ConfigError('FHIR gateway used before the server started');
  return gateway;
}

/** The terminology index for the reviewer page's code suggestions: loaded on first use, a failure not cached. */
function lazyTerminology(dir: string): () => Promise<TerminologyIndex> {
  let index: Promise<TerminologyIndex> | undefined;
  return () => {
    index ??= loadTerminologyIndex(dir).catch((err: unknown) => {
      index = undefined;
      throw err;
    });
    return index;
  };
}

function requireValue<T>(value: T | undefined): T {
  if (value === undefined) throw new ConfigError('used before the server started');
  return value;
}

/** Requests still running after this long when the server stops are cut (their clients retry). */
const HTTP_CLOSE_MS = 2_000;

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), HTTP_CLOSE_MS);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
