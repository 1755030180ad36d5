/** Results follow the note: a new version keeps, adds and retracts; entered-in-error and deletion retract all. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Bundle, Condition, DocumentReference, Provenance, Resource } from '@medplum/fhirtypes';
import { aNote } from '../builders/note.js';
import { realPipeline } from '../support/real-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let app: TestServer;

beforeAll(async () => {
  app = await startTestServer({ pipeline: realPipeline });
});
afterAll(async () => {
  await app?.close();
});

async function search<T extends Resource>(query: string): Promise<T[]> {
  const response = await app.request<Bundle<T>>('GET', `/fhir/R4/${query}`);
  return (response.body.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T);
}

const verification = (c: Condition): string | undefined => c.verificationStatus?.coding?.[0].code;
const snomed = (c: Condition): string | undefined => c.code?.coding?.find((x) => x.system === 'http://snomed.info/sct')?.code;

async function postNote(subject: string, text: string): Promise<DocumentReference> {
  const created = await app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ subject, text }));
  expect(created.status).toBe(201);
  await app.idle();
  return created.body;
}

describe('the life of a note', () => {
  test('a new version keeps what it still says, adds what is new and retracts what it no longer says', async () => {
    const v1 = await postNote('Patient/life-1', 'Assessment: hypertension. Asthma.');
    const before = await search<Condition>('Condition?subject=Patient/life-1');
    expect(before.map(snomed).sort()).toEqual(['195967001', '38341003']);
    const htnBefore = before.find((c) => snomed(c) === '38341003') as Condition;

    const updated = await app.request<DocumentReference>('PUT', `/fhir/R4/DocumentReference/${v1.id}`, {
      ...v1,
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Assessment: hypertension. COPD.').toString('base64') } }],
    });
    expect(updated.body.meta?.versionId).not.toBe(v1.meta?.versionId);
    await app.idle();

    const after = await search<Condition>('Condition?subject=Patient/life-1');
    const htn = after.find((c) => snomed(c) === '38341003') as Condition;
    expect(htn.id).toBe(htnBefore.id);
    expect(htn.meta?.versionId).toBe(htnBefore.meta?.versionId); // untouched
    expect(verification(after.find((c) => snomed(c) === '195967001') as Condition)).toBe('entered-in-error');
    expect(verification(after.find((c) => snomed(c) === '13645005') as Condition)).toBe('confirmed');

    const provenances = await search<Provenance>(`Provenance?entity=DocumentReference/${v1.id}/_history/${updated.body.meta?.versionId}`);
    expect(provenances).toHaveLength(1);
    expect(provenances[0].activity?.coding?.[0].code).toBe('UPDATE');
    expect(provenances[0].reason?.[0].text).toContain('not supported');
    expect(provenances[0].target.filter((t) => t.reference?.includes('/_history/'))).toHaveLength(2); // plus their unversioned twins
  });

  test('a note marked entered-in-error has everything derived from it retracted', async () => {
    const note = await postNote('Patient/life-2', 'Hypertension. Metformin 500 mg PO daily.');
    await app.request('PUT', `/fhir/R4/DocumentReference/${note.id}`, { ...note, status: 'entered-in-error' });
    await app.idle();
    const conditions = await search<Condition>('Condition?subject=Patient/life-2');
    const statements = await search<{ status: string } & Resource>('MedicationStatement?subject=Patient/life-2');
    expect(conditions.map(verification)).toEqual(['entered-in-error']);
    expect(statements.map((s) => s.status)).toEqual(['entered-in-error']);
  });

  test('a deleted note has everything derived from it retracted, with a Provenance saying why', async () => {
    const note = await postNote('Patient/life-3', 'Asthma.');
    expect((await app.request('DELETE', `/fhir/R4/DocumentReference/${note.id}`)).status).toBe(200);
    await app.idle();
    const [condition] = await search<Condition>('Condition?subject=Patient/life-3');
    expect(verification(condition)).toBe('entered-in-error');
    const provenances = await search<Provenance>(`Provenance?target=Condition/${condition.id}`);
    const retraction = provenances.find((p) => p.activity?.coding?.[0].code === 'NULLIFY');
    expect(retraction?.reason?.[0].text).toContain('deleted');
  });
});
