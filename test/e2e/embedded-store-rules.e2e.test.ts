/**
 * The embedded store's rules, over HTTP. Ids and versions are the server's (issue 12 item 4): a POST never lets the
 * client choose `id` or `meta.versionId`, a POST with an existing id creates a new resource, only a PUT updates (and
 * its version counts up), and ids follow FHIR's `[A-Za-z0-9\-\.]{1,64}`. Required bindings are enforced (issue 14
 * item 7): a code outside a required value set is a 400 OperationOutcome.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Bundle, Condition, DocumentReference, Observation, OperationOutcome } from '@medplum/fhirtypes';
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

describe('required bindings', () => {
  const refused = async (path: string, body: unknown, expression: string): Promise<void> => {
    const response = await app.request<OperationOutcome>('POST', `/fhir/R4/${path}`, body);
    expect(response.status, expression).toBe(400);
    expect(response.body.resourceType).toBe('OperationOutcome');
    expect(response.body.issue.some((i) => i.code === 'code-invalid' && i.expression?.includes(expression)), JSON.stringify(response.body)).toBe(true);
    expect(JSON.stringify(response.body)).not.toContain('ZZ-');
  };

  test('a code outside a required value set is a 400 naming the element, not the value', async () => {
    await refused('DocumentReference', { ...aNote(), status: 'ZZ-not-a-status' }, 'DocumentReference.status');
    await refused('DocumentReference', { ...aNote(), docStatus: 'ZZ-draft' }, 'DocumentReference.docStatus');
    const condition: Condition = { resourceType: 'Condition', subject: { reference: 'Patient/p1' }, code: { text: 'x' } };
    await refused(
      'Condition',
      { ...condition, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'ZZ-active' }] } },
      'Condition.clinicalStatus'
    );
    // A datatype's binding, wherever the datatype appears.
    await refused('Condition', { ...condition, identifier: [{ use: 'ZZ-usual', value: '1' }] }, 'Condition.identifier.use');
    await refused(
      'Observation',
      { resourceType: 'Observation', status: 'final', code: { text: 'bp' }, valueQuantity: { value: 1, comparator: 'ZZ' } },
      'Observation.valueQuantity.comparator'
    );
    expect((await app.request<Bundle>('GET', '/fhir/R4/DocumentReference?status=ZZ-not-a-status')).body.total).toBe(0);
  });

  test('codes inside the value sets are accepted', async () => {
    expect((await post({ ...aNote(), status: 'superseded', docStatus: 'amended' })).status).toBe(201);
    const observation: Observation = {
      resourceType: 'Observation',
      status: 'amended',
      code: { text: 'bp' },
      valueQuantity: { value: 1, comparator: '<' },
      identifier: [{ use: 'official', value: '2' }],
    };
    expect((await app.request('POST', '/fhir/R4/Observation', observation)).status).toBe(201);
    const condition: Condition = {
      resourceType: 'Condition',
      subject: { reference: 'Patient/p1' },
      code: { text: 'x' },
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    };
    expect((await app.request('POST', '/fhir/R4/Condition', condition)).status).toBe(201);
  });
});
