/**
 * The embedded store assigns ids and versions as a FHIR server does (issue 12 item 4), over HTTP: a POST never lets
 * the client choose `id` or `meta.versionId`, a POST with an existing id creates a new resource, only a PUT updates
 * (and its version counts up), and ids follow FHIR's `[A-Za-z0-9\-\.]{1,64}`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Bundle, DocumentReference, OperationOutcome } from '@medplum/fhirtypes';
import { aNote } from '../builders/note.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let app: TestServer;

beforeAll(async () => {
  app = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { WORKERS: '0' } });
});
afterAll(async () => {
  await app?.close();
});

const post = (body: unknown) => app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', body);

describe('embedded store ids and versions', () => {
  test('a POST ignores the client id and versionId; a second POST with that id makes a new resource', async () => {
    const first = await post(aNote({ id: 'chosen-by-client', versionId: '1', text: 'first' }));
    expect(first.status).toBe(201);
    expect(first.body.id).not.toBe('chosen-by-client');
    expect(first.body.meta?.versionId).toBe('1');
    const second = await post(aNote({ id: first.body.id, versionId: '1', text: 'second' }));
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    // The first resource is untouched: one version, its own text.
    const history = await app.request<Bundle>('GET', `/fhir/R4/DocumentReference/${first.body.id}/_history`);
    expect(history.body.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['1']);
    const read = await app.request<DocumentReference>('GET', `/fhir/R4/DocumentReference/${first.body.id}`);
    expect(Buffer.from(read.body.content[0].attachment.data as string, 'base64').toString()).toBe('first');
  });

  test('a PUT updates and the version counts up; a client versionId is ignored', async () => {
    const created = (await post(aNote({ text: 'v1' }))).body;
    const id = created.id as string;
    const updated = await app.request<DocumentReference>('PUT', `/fhir/R4/DocumentReference/${id}`, { ...aNote({ text: 'v2', versionId: '1' }), id });
    expect(updated.status).toBe(200);
    expect(updated.body.meta?.versionId).toBe('2');
    expect(updated.headers.get('etag')).toBe('W/"2"');
    const again = await app.request<DocumentReference>('PUT', `/fhir/R4/DocumentReference/${id}`, { ...aNote({ text: 'v3', versionId: '99' }), id });
    expect(again.body.meta?.versionId).toBe('3');
    const history = await app.request<Bundle>('GET', `/fhir/R4/DocumentReference/${id}/_history`);
    expect(history.body.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['3', '2', '1']);
  });

  test('ids outside [A-Za-z0-9-.]{1,64} are refused with 400 and never reach a Location header', async () => {
    for (const bad of ['x'.repeat(65), 'has space', 'slash/inside', 'ünïcode']) {
      const put = await app.request<OperationOutcome>('PUT', `/fhir/R4/DocumentReference/${encodeURIComponent(bad)}`, { ...aNote(), id: bad });
      expect(put.status, bad).toBe(400);
      expect(put.body.resourceType).toBe('OperationOutcome');
      expect(put.headers.get('location')).toBeNull();
      const created = await post({ ...aNote(), id: bad });
      expect(created.status, bad).toBe(400);
    }
    const long = await post(aNote({ id: 'x'.repeat(100_000) }));
    expect(long.status).toBe(400);
    expect(long.headers.get('location')).toBeNull();
    const ok = await app.request<DocumentReference>('PUT', `/fhir/R4/DocumentReference/${'A-z.9'.repeat(12)}`, { ...aNote(), id: 'A-z.9'.repeat(12) });
    expect(ok.status).toBe(201);
    expect(ok.body.meta?.versionId).toBe('1');
  });
});
