/** The HTTP surface: health, notification refusals (nothing enqueued), limits and error shapes. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { aNote } from '../builders/note.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let app: TestServer;

beforeAll(async () => {
  app = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { MAX_DOCUMENT_BYTES: '4096' } });
});

afterAll(async () => {
  await app?.close();
});

async function jobsQueued(): Promise<number> {
  const counts = await app.handle.producer.queue.getJobCounts();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

async function post(path: string, body: string | Buffer, contentType = 'application/fhir+json'): Promise<{ status: number; body: OperationOutcome; type: string | null }> {
  const response = await fetch(`${app.url}${path}`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
  return { status: response.status, body: (await response.json()) as OperationOutcome, type: response.headers.get('content-type') };
}

describe('health', () => {
  test('/healthz answers while the process lives; /readyz checks Redis, FHIR and the pipeline', async () => {
    expect((await app.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await app.request<{ status: string; checks: Record<string, string>; details: Record<string, unknown> }>('GET', '/readyz');
    expect(ready.status).toBe(200);
    // (`details.redis` reports Redis's persistence settings: redis-data-loss.e2e.test.ts)
    const { redis, ...details } = ready.body.details;
    expect(redis).toBeDefined();
    expect({ status: ready.body.status, checks: ready.body.checks, details }).toEqual({
      status: 'ready',
      checks: { redis: 'ok', fhir: 'ok', pipeline: 'ok' },
      details: { queueNamespace: app.handle.queue.namespace, fhirCircuit: 'closed' },
    });
    expect(app.handle.queue.namespace).toMatch(/^fhir-[0-9a-f]{12}$/);
  });
});

describe('POST /notify refuses what it cannot process, enqueueing nothing', () => {
  test.each([
    ['malformed JSON', '{"resourceType": "DocumentReference", "id": ', 'application/fhir+json', 400],
    ['a resource it does not process', JSON.stringify({ resourceType: 'Patient', id: 'p1' }), 'application/fhir+json', 422],
    ['a DocumentReference without an id', JSON.stringify({ resourceType: 'DocumentReference', status: 'current' }), 'application/json', 422],
    ['a non-JSON media type', 'DocumentReference/1', 'text/plain', 415],
  ])('%s is refused with an OperationOutcome', async (_name, body, contentType, status) => {
    const before = await jobsQueued();
    const response = await post('/notify', body, contentType);
    expect(response.status).toBe(status);
    expect(response.type).toContain('application/fhir+json');
    expect(response.body.resourceType).toBe('OperationOutcome');
    expect(response.body.issue[0].severity).toBe('error');
    expect(await jobsQueued()).toBe(before);
  });

  test('an oversized body is 413 and enqueues nothing', async () => {
    const before = await jobsQueued();
    const big = JSON.stringify(aNote({ id: 'big', text: 'x'.repeat(300_000), versionId: '1' }));
    const response = await post('/notify', big);
    expect(response.status).toBe(413);
    expect(response.body.issue[0].code).toBe('too-long');
    expect(await jobsQueued()).toBe(before);
  });
});

describe('POST /notify with a DocumentReference', () => {
  test('answers 202 with the job id, and the same version twice is one job', async () => {
    const created = await app.request('POST', '/fhir/R4/DocumentReference', aNote({ text: 'hypertension' }));
    await app.idle();
    const first = await post('/notify', JSON.stringify(created.body));
    const second = await post('/notify', JSON.stringify(created.body));
    expect(first.status).toBe(202);
    const jobId = `note-${created.body.id}-v${created.body.meta?.versionId}`;
    expect(first.body.issue[0].diagnostics).toBe(jobId);
    expect(second.body.issue[0].diagnostics).toBe(jobId);
  });

  test('a notification without a version is pinned to the current version', async () => {
    const created = await app.request('POST', '/fhir/R4/DocumentReference', aNote({ text: 'asthma' }));
    const { meta: _meta, ...withoutMeta } = created.body;
    const response = await post('/notify', JSON.stringify(withoutMeta));
    expect(response.status).toBe(202);
    expect(response.body.issue[0].diagnostics).toBe(`note-${created.body.id}-v${created.body.meta?.versionId}`);
    await app.idle();
  });
});

describe('errors', () => {
  test('unknown routes are 404 OperationOutcomes', async () => {
    const response = await app.request<OperationOutcome>('GET', '/nope');
    expect(response.status).toBe(404);
    expect(response.body.issue[0].code).toBe('not-found');
  });

  test('the embedded store refuses malformed FHIR JSON with 400 without echoing it', async () => {
    const response = await post('/fhir/R4/Condition', '{"resourceType":"Condition", "note": "secret text');
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).not.toContain('secret');
  });
});
