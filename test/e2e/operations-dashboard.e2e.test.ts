/**
 * The queue dashboard (bull-board at /admin/queues) on a real server, real Redis and a real worker: who may see it,
 * a failed job shown with its OperationOutcome reason, retry through bull-board's API, what it refuses to do, and
 * that no note text ever reaches a response.
 */
import type { DocumentReference, OperationOutcome } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { ANALYZE_NOTE_QUEUE } from '../../src/queue/analyze-note.queue.js';
import { aNote } from '../builders/note.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const SENTINEL = 'ZEBRA-QUARTZ-4417';
const BEARER = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const QUEUES_API = `/admin/queues/api/queues?activeQueue=${ANALYZE_NOTE_QUEUE}&status=latest&page=1&jobsPerPage=50`;

interface BoardJob {
  readonly id: string;
  readonly failedReason?: string;
  readonly data?: Record<string, unknown>;
}
interface BoardQueues {
  readonly queues: { readonly name: string; readonly counts: Record<string, number>; readonly jobs: BoardJob[] }[];
}

let app: TestServer;
let failedNote: DocumentReference;
let goodNote: DocumentReference;
/** Every response body the tests read, to check none carries note text. */
const bodies: string[] = [];

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${app.url}${path}`, { headers, redirect: 'manual' });
  const text = await response.text();
  bodies.push(text);
  return { status: response.status, text, headers: response.headers };
}

async function board(headers: Record<string, string> = BEARER): Promise<BoardQueues['queues'][number]> {
  const response = await get(QUEUES_API, headers);
  expect(response.status).toBe(200);
  const queue = (JSON.parse(response.text) as BoardQueues).queues.find((q) => q.name === ANALYZE_NOTE_QUEUE);
  if (!queue) throw new Error('analyze queue not on the board');
  return queue;
}

beforeAll(async () => {
  app = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { ADMIN_TOKEN, WORKERS: '1' } });
  // A note the worker cannot read (PDF): the job fails at once (not retryable), with its reason.
  const pdf = await app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ text: `Hypertension ${SENTINEL}`, contentType: 'application/pdf' }));
  expect(pdf.status).toBe(201);
  failedNote = pdf.body;
  const good = await app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ text: `Asthma ${SENTINEL}` }));
  expect(good.status).toBe(201);
  goodNote = good.body;
  await app.idle();
});

afterAll(async () => {
  await app?.close();
});

describe('access', () => {
  test('no credentials: 401 for the API, a redirect to the login page for a browser; a wrong token: 403', async () => {
    expect((await get(QUEUES_API)).status).toBe(401);
    expect((await get(QUEUES_API, { Authorization: 'Bearer not-the-admin-token-000' })).status).toBe(403);
    const page = await get('/admin/queues', { Accept: 'text/html' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login');
    expect((await get('/admin/queues', { ...BEARER, Accept: 'text/html' })).status).toBe(200);
  });

  test('the login form sets an HttpOnly, SameSite=Strict signed cookie that opens the dashboard; a wrong token does not', async () => {
    const wrong = await fetch(`${app.url}/admin/login`, { method: 'POST', body: new URLSearchParams({ token: 'wrong-token-0000000000' }), redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const login = await fetch(`${app.url}/admin/login`, { method: 'POST', body: new URLSearchParams({ token: ADMIN_TOKEN }), redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^chartmine_admin=\d+\.[0-9a-f]{64};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0];
    expect((await board({ Cookie: session })).name).toBe(ANALYZE_NOTE_QUEUE);
    // A forged signature is refused.
    const forged = session.replace(/\.([0-9a-f])/, (_m, c: string) => `.${c === '0' ? '1' : '0'}`);
    expect((await get(QUEUES_API, { Cookie: forged })).status).toBe(401);
  });

  test('without ADMIN_TOKEN or API_TOKEN the dashboard is closed; ADMIN_OPEN is refused off loopback', async () => {
    const closed = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { WORKERS: '0' } });
    try {
      const response = await fetch(`${closed.url}/admin/queues/api/queues`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as OperationOutcome).issue[0].details?.text).toMatch(/ADMIN_TOKEN/);
    } finally {
      await closed.close();
    }
    expect(() => loadConfig({ ADMIN_OPEN: 'true', HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ADMIN_OPEN: 'true', HOST: '0.0.0.0' })).toThrow(/ADMIN_OPEN/);
    expect(loadConfig({ ADMIN_OPEN: 'true', HOST: '127.0.0.1' }).operations.adminOpen).toBe(true);
    const open = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { WORKERS: '0', ADMIN_OPEN: 'true' } });
    try {
      expect((await fetch(`${open.url}/admin/queues/api/queues`)).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  test('API_TOKEN opens the dashboard when ADMIN_TOKEN is unset', async () => {
    const apiToken = 'api-token-0123456789abcdef';
    const server = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { WORKERS: '0', API_TOKEN: apiToken } });
    try {
      expect((await fetch(`${server.url}/admin/queues/api/queues`)).status).toBe(401);
      expect((await fetch(`${server.url}/admin/queues/api/queues`, { headers: { Authorization: `Bearer ${apiToken}` } })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('jobs on the board', () => {
  test('the failed job shows its OperationOutcome reason and ids only; the completed one is there too', async () => {
    const queue = await board();
    expect(queue.counts.failed).toBe(1);
    expect(queue.counts.completed).toBe(1);
    const failed = queue.jobs.find((j) => j.id.includes(failedNote.id ?? '?'));
    const reason = JSON.parse(failed?.failedReason ?? '{}') as OperationOutcome;
    expect(reason.resourceType).toBe('OperationOutcome');
    expect(reason.issue[0].code).toBe('not-supported');
    expect(reason.issue[0].details?.coding?.[0].code).toBe('error-unsupported-content');
    expect(reason.issue[0].details?.text).toMatch(/application\/pdf/);
    expect(Object.keys(failed?.data ?? {}).sort()).toEqual(['noteId', 'requestId', 'versionId']);
    expect(queue.jobs.some((j) => j.id.includes(goodNote.id ?? '?'))).toBe(true);
  });

  test('retry through the API puts the failed job back to waiting', async () => {
    // Stop the worker so the retried job stays waiting (it would fail again at once).
    await app.handle.worker?.worker.close();
    const failed = (await board()).jobs.find((j) => j.id.includes(failedNote.id ?? '?'));
    const retry = await fetch(`${app.url}/admin/queues/api/queues/${ANALYZE_NOTE_QUEUE}/${encodeURIComponent(failed?.id ?? '')}/retry`, { method: 'PUT', headers: BEARER });
    expect(retry.status).toBe(204);
    const job = await app.handle.producer.queue.getJob(failed?.id ?? '');
    expect(await job?.getState()).toBe('waiting');
    const queue = await board();
    expect(queue.counts.failed).toBe(0);
    expect(queue.counts.waiting).toBe(1);
    expect(queue.counts.completed).toBe(1);
  });

  test('adding jobs, editing their data and emptying the queue are refused', async () => {
    const failed = (await board()).jobs.find((j) => j.id.includes(failedNote.id ?? '?'));
    const attempts = [
      fetch(`${app.url}/admin/queues/api/queues/${ANALYZE_NOTE_QUEUE}/add`, {
        method: 'POST',
        headers: { ...BEARER, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'analyze-note', data: { noteId: 'x', versionId: '1', requestId: 'r' } }),
      }),
      fetch(`${app.url}/admin/queues/api/queues/${ANALYZE_NOTE_QUEUE}/${encodeURIComponent(failed?.id ?? '')}/update-data`, {
        method: 'PATCH',
        headers: { ...BEARER, 'Content-Type': 'application/json' },
        body: JSON.stringify({ jobData: { noteId: 'other' } }),
      }),
      fetch(`${app.url}/admin/queues/api/queues/${ANALYZE_NOTE_QUEUE}/empty`, { method: 'PUT', headers: BEARER }),
      fetch(`${app.url}/admin/queues/api/queues/${ANALYZE_NOTE_QUEUE}/obliterate`, { method: 'PUT', headers: BEARER }),
    ];
    for (const response of await Promise.all(attempts)) expect(response.status).toBe(403);
    const queue = await board();
    expect(queue.counts.waiting + queue.counts.failed + queue.counts.completed).toBe(2);
  });
});

test('no response of the dashboard carries note text', async () => {
  await get('/admin/queues', BEARER);
  await get(`/admin/queues/api/queues/${ANALYZE_NOTE_QUEUE}/${encodeURIComponent((await board()).jobs[0]?.id ?? '')}`, BEARER);
  expect(bodies.length).toBeGreaterThan(5);
  for (const body of bodies) expect(body).not.toContain(SENTINEL);
  // The text is really in the notes (base64), so the check above could fail.
  expect(Buffer.from(failedNote.content[0].attachment.data ?? '', 'base64').toString()).toContain(SENTINEL);
});
