/**
 * `chartmine worker` scaled apart from the server: a server with WORKERS=0 queues, a separate worker runtime
 * (FHIR_BASE_URL pointing at the server's embedded store) analyses, both on the same Redis queue.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Bundle, Condition } from '@medplum/fhirtypes';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { startWorkerProcess, type WorkerHandle } from '../../src/worker-runtime.js';
import { aNote } from '../builders/note.js';
import { realPipeline } from '../support/real-pipeline.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let worker: WorkerHandle;

beforeAll(async () => {
  server = await startTestServer({ pipeline: realPipeline, env: { WORKERS: '0' } });
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: server.prefix, FHIR_BASE_URL: server.handle.fhirBaseUrl, WORKERS: '1' });
  worker = await startWorkerProcess(config, createLogger('silent'), realPipeline);
});

afterAll(async () => {
  await worker?.close();
  await server?.close();
});

test('a server without workers queues; a separate worker process analyses and writes back', async () => {
  expect(server.handle.worker).toBeUndefined();
  const ready = await server.request<{ checks: Record<string, string> }>('GET', '/readyz');
  expect(ready.body.checks.pipeline).toBe('not-required');
  await server.request('POST', '/fhir/R4/DocumentReference', aNote({ subject: 'Patient/scale-1', text: 'Asthma. No fever.' }));
  await server.idle();
  const found = await server.request<Bundle<Condition>>('GET', '/fhir/R4/Condition?subject=Patient/scale-1');
  const codes = found.body.entry?.map((e) => `${e.resource?.code?.coding?.[0].code}:${e.resource?.verificationStatus?.coding?.[0].code}`).sort();
  expect(codes).toEqual(['195967001:confirmed', '386661006:refuted']);
});
