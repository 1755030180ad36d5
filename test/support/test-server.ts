/**
 * Starts a real Chartmine server for tests: Express on port 0, real Redis (unique queue prefix), real BullMQ worker,
 * the embedded FHIR store over HTTP. `idle()` waits until every queued job has finished.
 */
import type { Resource } from '@medplum/fhirtypes';
import { loadConfig } from '../../src/config/config.js';
import type { NlpPipeline } from '../../src/nlp/types.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { startServer, type ServerHandle } from '../../src/runtime.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from './redis.js';

/** A started test server and helpers to talk to it. */
export interface TestServer {
  readonly url: string;
  readonly handle: ServerHandle;
  readonly prefix: string;
  /** JSON request relative to the server URL. */
  request<T = Resource>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  /** Resolves when no job is waiting, active or delayed. */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Options for `startTestServer`. */
export interface TestServerOptions {
  readonly pipeline: () => Promise<NlpPipeline>;
  readonly env?: Record<string, string>;
  readonly log?: Logger;
}

/**
 * Starts a server.
 * @param options - the pipeline loader, extra environment and logger.
 * @returns the test server.
 */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const prefix = options.env?.QUEUE_PREFIX ?? uniquePrefix();
  // In memory unless a test is about durability (it passes STORE=file and its own DATA_DIR).
  const config = loadConfig({ PORT: '0', WORKERS: '2', REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, STORE: 'memory', ...options.env });
  const handle = await startServer(config, options.log ?? createLogger('silent'), options.pipeline);
  return {
    url: handle.url,
    handle,
    prefix,
    async request(method, path, body, headers = {}) {
      const response = await fetch(`${handle.url}${path}`, {
        method,
        headers: { Accept: 'application/fhir+json', ...(body !== undefined ? { 'Content-Type': 'application/fhir+json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as never, headers: response.headers };
    },
    async idle(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await handle.settled();
        const states = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;
        const counts = await handle.producer.queue.getJobCounts(...states);
        // Feedback jobs count only where a worker consumes them (SENTIMENT_MODEL=none leaves them waiting).
        const feedback = handle.worker?.feedbackWorker ? await handle.feedbackProducer.queue.getJobCounts(...states) : {};
        if ([...Object.values(counts), ...Object.values(feedback)].every((n) => n === 0)) return;
        if (Date.now() > deadline) throw new Error(`queue not idle: ${JSON.stringify(counts)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await handle.producer.queue.obliterate({ force: true }).catch(() => undefined);
      await handle.feedbackProducer.queue.obliterate({ force: true }).catch(() => undefined);
      await handle.close();
      await deleteKeys(prefix);
    },
  };
}
