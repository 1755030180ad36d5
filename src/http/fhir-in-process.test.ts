/**
 * The in-process fetch against the HTTP route it stands in for: one real embedded store behind a real Express app
 * on port 0; each request is sent both ways and the answers compared (status, FHIR JSON, the headers a client reads).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Bundle, Condition } from '@medplum/fhirtypes';
import { EmbeddedFhirStore } from '../embedded/embedded-store.js';
import { buildEmbeddedCapabilityStatement } from '../fhir/capability-statement.js';
import { createLogger } from '../observability/logger.js';
import { createApp } from './app.js';
import { createInProcessFhirFetch } from './fhir-in-process.js';

const TOKEN = 'in-process-test-token';
const MAX_DOCUMENT_BYTES = 16 * 1024;

let store: EmbeddedFhirStore;
let server: Server;
let base: string;
let overHttp: number;
let inProcess: (url: string, init?: RequestInit) => Promise<Response>;

beforeAll(async () => {
  store = new EmbeddedFhirStore(buildEmbeddedCapabilityStatement('test', '2026-01-01'));
  const log = createLogger('silent');
  const app = createApp({
    log,
    notify: { handle: () => Promise.reject(new Error('not used')), auth: { secret: undefined, header: 'authorization' }, rateLimitPerMinute: 0 },
    store,
    apiToken: TOKEN,
    maxDocumentBytes: MAX_DOCUMENT_BYTES,
    readiness: {},
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir/R4/`;
  const http = (url: string, init?: RequestInit): Promise<Response> => {
    overHttp++;
    return fetch(url, init);
  };
  inProcess = createInProcessFhirFetch({ store, baseUrl: base, apiToken: TOKEN, maxDocumentBytes: MAX_DOCUMENT_BYTES, log, http });
});
afterAll(async () => {
  server?.close();
  await store?.close();
});
beforeEach(() => {
  overHttp = 0;
});

const condition = (text: string, extra: Partial<Condition> = {}): Condition => ({
  resourceType: 'Condition',
  subject: { reference: 'Patient/in-process' },
  code: { text },
  ...extra,
});

function request(method: string, body?: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/fhir+json', ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  };
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly contentType: string | null;
  readonly etag: string | null;
  readonly location: string | null;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as unknown) : undefined,
    contentType: response.headers.get('content-type'),
    etag: response.headers.get('etag'),
    location: response.headers.get('location'),
  };
}

/** The same request over HTTP and in process (a request that changes nothing, so both see the same store). */
async function bothWays(path: string, init: RequestInit): Promise<{ http: Answer; inProcess: Answer; sentOverHttp: number }> {
  const http = await answerOf(await fetch(`${base}${path}`, init));
  overHttp = 0;
  const local = await answerOf(await inProcess(`${base}${path}`, init));
  return { http, inProcess: local, sentOverHttp: overHttp };
}

describe('the embedded store in process', () => {
  test('a create, read, search and transaction are answered without a socket, as the route answers them', async () => {
    const created = await answerOf(await inProcess(`${base}Condition`, request('POST', condition('asthma'))));
    expect(created.status).toBe(201);
    const stored = created.body as Condition;
    expect(created.location).toBe(`${base}Condition/${stored.id}/_history/${stored.meta?.versionId}`);
    expect(created.etag).toBe(`W/"${stored.meta?.versionId}"`);
    expect(created.contentType).toBe('application/fhir+json; charset=utf-8');

    const transaction: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:4f1c0d1e-1111-4a4a-8a8a-000000000001', request: { method: 'POST', url: 'Condition' }, resource: condition('copd') }],
    };
    const committed = await answerOf(await inProcess(base, request('POST', transaction)));
    expect(committed.status).toBe(200);
    expect((committed.body as Bundle).entry?.[0].response?.status).toMatch(/^201/);

    for (const path of [`Condition/${stored.id}`, `Condition/${stored.id}/_history/${stored.meta?.versionId}`, 'Condition?subject=Patient/in-process&_count=1', 'metadata']) {
      const { http, inProcess: local, sentOverHttp } = await bothWays(path, request('GET'));
      expect(local).toEqual(http);
      expect(http.status).toBe(200);
      expect(sentOverHttp).toBe(0);
    }
    const page = (await answerOf(await inProcess(`${base}Condition?subject=Patient/in-process&_count=1`, request('GET')))).body as Bundle;
    expect(page.total).toBe(2);
    expect(page.link?.find((l) => l.relation === 'next')?.url).toContain(`${base}Condition?`);
    expect(overHttp).toBe(0);
  });

  test("the store's refusals are the same answers, still in process", async () => {
    const stored = (await answerOf(await inProcess(`${base}Condition`, request('POST', condition('gout'))))).body as Condition;
    const refusals: [string, RequestInit, number][] = [
      ['Condition', request('POST', { ...condition('gout'), bogus: 1 }), 400],
      [`Condition/${stored.id}`, request('PUT', { ...stored, code: { text: 'gouty arthritis' } }, { 'if-match': 'W/"stale"' }), 412],
      ['Condition/no-such-id', request('GET'), 404],
    ];
    for (const [path, init, status] of refusals) {
      const { http, inProcess: local, sentOverHttp } = await bothWays(path, init);
      expect(http.status).toBe(status);
      expect(local).toEqual(http);
      expect(sentOverHttp).toBe(0);
    }
  });

  test('what the route refuses before the store sees it goes to the route itself', async () => {
    const tooLarge = JSON.stringify(condition('x'.repeat(2 * MAX_DOCUMENT_BYTES + 300 * 1024)));
    const refused: [string, RequestInit, number][] = [
      ['Condition', { ...request('GET'), headers: { authorization: 'Bearer wrong' } }, 401],
      ['Condition', request('POST', 'code=asthma', { 'content-type': 'text/plain' }), 415],
      ['Condition', request('POST', tooLarge), 413],
      ['Condition', request('POST', condition('asthma'), { 'content-type': 'application/fhir+json; charset=latin1' }), 415],
      ['Condition', request('POST', '{"resourceType": "Condition",'), 400],
      ['Condition', request('POST', '1'), 400],
      [`Condition/x`, request('PUT', [condition('asthma')]), 400],
      ['', request('POST', { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST' } }] }), 400],
    ];
    for (const [path, init, status] of refused) {
      const { http, inProcess: local, sentOverHttp } = await bothWays(path, init);
      expect(http.status).toBe(status);
      expect(local).toEqual(http);
      expect(sentOverHttp).toBe(1);
    }
    // Outside the base: not the store's.
    overHttp = 0;
    expect((await inProcess(base.replace('/fhir/R4/', '/healthz'), { method: 'GET' })).status).toBe(200);
    expect(overHttp).toBe(1);
  });

  test("an aborted request is rejected with the signal's reason; the store finishes what it started", async () => {
    await expect(inProcess(`${base}Condition`, { ...request('GET'), signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    const controller = new AbortController();
    const pending = inProcess(`${base}Condition`, { ...request('POST', condition('migraine')), signal: controller.signal });
    controller.abort(new DOMException('gave up', 'TimeoutError'));
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
    const found = (await answerOf(await inProcess(`${base}Condition?subject=Patient/in-process&_count=100`, request('GET')))).body as Bundle<Condition>;
    expect(found.entry?.filter((e) => e.resource?.code?.text === 'migraine')).toHaveLength(1);
    expect(overHttp).toBe(0);
  });
});
