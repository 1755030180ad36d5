/**
 * The default set-up (embedded store, workers in the same process): the workers read the note and write their
 * results without going through the HTTP route — the access log shows only the client's own requests — and what
 * they write is what a client then reads over HTTP.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Bundle, Condition, DocumentReference, Provenance } from '@medplum/fhirtypes';
import { createLogger } from '../../src/observability/logger.js';
import { aNote } from '../builders/note.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let app: TestServer;
const accessLog: { method: string; path: string }[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { req?: { method: string; path: string }; res?: unknown };
        if (entry.req && entry.res) accessLog.push(entry.req); // pino-http's line for a finished request
      }
      done();
    },
  });
  app = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { API_TOKEN: 'in-process-e2e-token' }, log: createLogger('info', sink) });
});
afterAll(async () => {
  await app?.close();
});

test("the workers reach the embedded store in process; the store's HTTP route sees only the client", async () => {
  const auth = { Authorization: 'Bearer in-process-e2e-token' };
  const created = await app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ subject: 'Patient/in-process-1', text: 'Assessment: hypertension.' }), auth);
  expect(created.status).toBe(201);
  await app.idle();

  const conditions = await app.request<Bundle<Condition>>('GET', '/fhir/R4/Condition?subject=Patient/in-process-1', undefined, auth);
  expect(conditions.body.entry?.map((e) => e.resource?.code?.coding?.[0].code)).toEqual(['38341003']);
  const provenances = await app.request<Bundle<Provenance>>('GET', `/fhir/R4/Provenance?entity=DocumentReference/${created.body.id}/_history/${created.body.meta?.versionId}`, undefined, auth);
  expect(provenances.body.entry).toHaveLength(1);

  const storeRequests = accessLog.filter((r) => r.path.startsWith('/fhir/R4'));
  expect(storeRequests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /fhir/R4/DocumentReference', 'GET /fhir/R4/Condition', 'GET /fhir/R4/Provenance']);
});
