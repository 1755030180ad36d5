/**
 * Bad bodies get a clear, prompt answer on every route (issue 14 items 3, 4 and 6): a body that is not FHIR JSON is a
 * 415, a declared size over the limit is a 413 before the body is read, JSON nested thousands deep is a 400, and no
 * internal error message reaches the client.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OperationOutcome } from '@medplum/fhirtypes';
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

/** Sends only a request head (no body) on a raw socket and returns what comes back within `waitMs`. */
async function sendHead(head: string, waitMs: number): Promise<string> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(received);
    }, waitMs);
    socket.on('data', (c: Buffer) => {
      received += c.toString();
      if (received.includes('\r\n\r\n') && /\}\s*$/.test(received)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
  });
}

const INTERNAL = /Cannot read|undefined|RangeError|TypeError|stack|at .*\.ts/;

describe('request bodies', () => {
  test('a DocumentReference sent as text/plain is a 415 OperationOutcome without internal messages', async () => {
    const response = await app.request<OperationOutcome>('POST', '/fhir/R4/DocumentReference', JSON.stringify(aNote()), { 'Content-Type': 'text/plain' });
    expect(response.status).toBe(415);
    expect(response.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(response.body)).not.toMatch(INTERNAL);
    const put = await app.request<OperationOutcome>('PUT', '/fhir/R4/DocumentReference/x1', 'id=x1', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(put.status).toBe(415);
    // A form is fine for a search by POST.
    const search = await app.request('POST', '/fhir/R4/DocumentReference/_search', 'status=current', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(search.status).toBe(200);
  });

  test('JSON that is not a resource is a 400 with a fixed text, never the router error', async () => {
    for (const body of ['[1,2]', '"text"', '{"status":"current"}', '{"resourceType":7}', 'null']) {
      const response = await app.request<OperationOutcome>('POST', '/fhir/R4/DocumentReference', body);
      expect(response.status, body).toBe(400);
      expect(response.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(response.body), body).not.toMatch(INTERNAL);
    }
  });

  test('batch entries the router cannot read are a 400 naming the entry, never a TypeError message', async () => {
    for (const entry of [[null], [{}], [{ request: { method: 'POST', url: 'Condition' } }], [{ request: { method: 'PUT', url: 'Condition/x' }, resource: 5 }]]) {
      for (const type of ['batch', 'transaction']) {
        const response = await app.request<OperationOutcome>('POST', '/fhir/R4', { resourceType: 'Bundle', type, entry });
        expect(response.status, JSON.stringify(entry)).toBe(400);
        expect(JSON.stringify(response.body), JSON.stringify(entry)).not.toMatch(INTERNAL);
      }
    }
  });

  test('a declared Content-Length of 99999999999 is answered 413 at once, on every route', async () => {
    for (const [method, path] of [
      ['POST', '/notify'],
      ['POST', '/fhir/R4/DocumentReference'],
      ['PUT', '/notify/DocumentReference/n1'],
      ['POST', '/healthz'],
    ]) {
      const started = Date.now();
      const answer = await sendHead(
        `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/fhir+json\r\nContent-Length: 99999999999\r\n\r\n`,
        5_000
      );
      expect(answer, `${method} ${path}`).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('OperationOutcome');
      expect(Date.now() - started).toBeLessThan(3_000);
    }
  });

  test('JSON nested 5,000 deep is a 400 on searches, creates and notifications', async () => {
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    const deepObject = `{"resourceType":"Bundle","type":"transaction","entry":${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
    for (const [method, path, body] of [
      ['POST', '/fhir/R4/Condition/_search', `{"code":${deep}}`],
      ['POST', '/fhir/R4/DocumentReference', deepObject],
      ['POST', '/fhir/R4', deepObject],
      ['POST', '/notify', deepObject],
    ] as const) {
      const response = await app.request<OperationOutcome>(method, path, body);
      expect(response.status, path).toBe(400);
      expect(response.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(response.body)).not.toMatch(INTERNAL);
    }
    // Strings may hold brackets: they are not nesting.
    const bracketsInText = await app.request('POST', '/fhir/R4/Condition/_search', JSON.stringify({ 'code:text': '['.repeat(5_000) }));
    expect(bracketsInText.status).toBe(200);
  });
});
