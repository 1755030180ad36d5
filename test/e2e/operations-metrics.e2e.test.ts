/**
 * `/metrics` on real parts: instance B is notified of a note in instance A's embedded store (over HTTP, as an
 * external FHIR server), analyses it with the shipped pipeline and writes back; a scrape of B then shows the
 * notification, the job, the note-to-results latency, every stage, the FHIR requests and the queue gauges moved,
 * with no id in any label. Access: METRICS_TOKEN, or open only on loopback.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { ANALYZE_NOTE_QUEUE } from '../../src/queue/analyze-note.queue.js';
import { startWorkerProcess } from '../../src/worker-runtime.js';
import { A_TOKEN, asFixtureNote, BEARER, createNote, jobsFor, notify, startPair, type Pair } from '../support/notify.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { realPipeline } from '../support/real-pipeline.js';
import { startTestServer } from '../support/test-server.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

let pair: Pair;
let noteId: string;
let jobId: string;
let scrape: string;

/** The value of one sample line, e.g. `chartmine_jobs_total{queue="x",outcome="written"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => have.includes(w)) && have.length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

async function scrapeB(headers: Record<string, string> = { Authorization: `Bearer ${METRICS_TOKEN}` }): Promise<{ status: number; text: string; type: string | null }> {
  const response = await fetch(`${pair.b.url}/metrics`, { headers });
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
}

beforeAll(async () => {
  pair = await startPair(realPipeline, { METRICS_TOKEN });
  const before = await scrapeB();
  expect(sample(before.text, 'chartmine_jobs_total', { queue: ANALYZE_NOTE_QUEUE, outcome: 'written' })).toBeUndefined();
  const note = await createNote(pair.a, { text: 'Hypertension, on metformin 500 mg PO BID. Denies chest pain. BP 151/93.' });
  noteId = note.id ?? '';
  expect((await notify(pair.b, JSON.stringify(asFixtureNote(note)), BEARER)).status).toBe(202);
  expect((await notify(pair.b, JSON.stringify(asFixtureNote(note)), { Authorization: 'Bearer wrong-secret-000000000000' })).status).toBe(401);
  await pair.b.idle(30_000);
  const [job] = await jobsFor(pair.b, noteId);
  jobId = job.id ?? '';
  expect(await job.getState()).toBe('completed');
  scrape = (await scrapeB()).text;
});

afterAll(async () => {
  await pair?.close();
});

describe('after one notified note', () => {
  test('notifications by form and outcome, refused ones included', () => {
    expect(sample(scrape, 'chartmine_notifications_total', { form: 'rest-hook-full', outcome: 'queued' })).toBe(1);
    expect(sample(scrape, 'chartmine_notifications_total', { form: 'unknown', outcome: 'unauthorized' })).toBe(1);
  });

  test('the job and its note-to-results latency', () => {
    expect(sample(scrape, 'chartmine_jobs_total', { queue: ANALYZE_NOTE_QUEUE, outcome: 'written' })).toBe(1);
    expect(sample(scrape, 'chartmine_note_to_results_seconds_count')).toBe(1);
    expect(sample(scrape, 'chartmine_note_to_results_seconds_sum')).toBeGreaterThan(0);
  });

  test('every stage of the run was timed', () => {
    for (const stage of ['read', 'sections', 'matching', 'mapping', 'write']) {
      expect(sample(scrape, 'chartmine_pipeline_stage_seconds_count', { stage }), stage).toBeGreaterThanOrEqual(1);
    }
  });

  test('FHIR requests by method and status, with their durations', () => {
    expect(sample(scrape, 'chartmine_fhir_requests_total', { method: 'GET', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(sample(scrape, 'chartmine_fhir_requests_total', { method: 'POST', status: '200' })).toBeGreaterThanOrEqual(1); // the transaction
    expect(sample(scrape, 'chartmine_fhir_request_duration_seconds_count', { method: 'GET' })).toBeGreaterThanOrEqual(2);
  });

  test('FHIR requests by interaction, and inside the embedded store (server A) its request and validation times', async () => {
    // The note is read on its own; the write step's reads (note version, pending Provenances, derived resources) go
    // as one batch, since the embedded store takes batches.
    expect(sample(scrape, 'chartmine_fhir_interaction_seconds_count', { interaction: 'read' })).toBeGreaterThanOrEqual(1);
    expect(sample(scrape, 'chartmine_fhir_interaction_seconds_count', { interaction: 'batch' })).toBeGreaterThanOrEqual(1);
    expect(sample(scrape, 'chartmine_fhir_interaction_seconds_count', { interaction: 'transaction' })).toBeGreaterThanOrEqual(1);
    expect(sample(scrape, 'chartmine_pipeline_stage_seconds_count', { stage: 'plan' })).toBeGreaterThanOrEqual(1);
    // A holds the store (B has none: its store metrics stay empty); A listens on loopback, so /metrics is open.
    expect(sample(scrape, 'chartmine_store_request_seconds_count', { interaction: 'transaction' })).toBeUndefined();
    const storeSide = await (await fetch(`${pair.a.url}/metrics`)).text();
    expect(sample(storeSide, 'chartmine_store_request_seconds_count', { interaction: 'transaction' })).toBeGreaterThanOrEqual(1);
    // The note, every finding, the Provenance twice (written, then stamped) and the AuditEvent.
    expect(sample(storeSide, 'chartmine_store_validation_seconds_count')).toBeGreaterThanOrEqual(3);
  });

  test('queue gauges are read at scrape time; process metrics are there', () => {
    expect(sample(scrape, 'chartmine_queue_jobs', { queue: ANALYZE_NOTE_QUEUE, state: 'completed' })).toBe(1);
    expect(sample(scrape, 'chartmine_queue_jobs', { queue: ANALYZE_NOTE_QUEUE, state: 'waiting' })).toBe(0);
    expect(sample(scrape, 'chartmine_queue_oldest_waiting_age_seconds', { queue: ANALYZE_NOTE_QUEUE })).toBe(0);
    expect(sample(scrape, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(scrape, 'nodejs_eventloop_lag_seconds')).toBeDefined();
  });

  test('no note id, job id or request id in any label', () => {
    expect(noteId.length).toBeGreaterThan(0);
    expect(scrape).not.toContain(noteId);
    expect(scrape).not.toContain(jobId);
    const labelValues = [...scrape.matchAll(/(\w+)="([^"]*)"/g)].map((m) => `${m[1]}=${m[2]}`);
    const allowed = /^(form|outcome|queue|state|stage|method|status|interaction|le|version|major|minor|patch|type|kind|space|quantile|phase|name)=/;
    expect(labelValues.filter((l) => !allowed.test(l))).toEqual([]);
  });
});

describe('access', () => {
  test('METRICS_TOKEN: 401 without it, 403 with a wrong one, the text format with it', async () => {
    expect((await scrapeB({})).status).toBe(401);
    expect((await scrapeB({ Authorization: 'Bearer wrong-token-0000000000' })).status).toBe(403);
    const ok = await scrapeB();
    expect(ok.status).toBe(200);
    expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  test('no token: open on loopback (A listens on 127.0.0.1), closed on 0.0.0.0', async () => {
    expect((await fetch(`${pair.a.url}/metrics`)).status).toBe(200);
    const wide = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { WORKERS: '0', HOST: '0.0.0.0' } });
    try {
      expect((await fetch(`${wide.url}/metrics`)).status).toBe(403);
    } finally {
      await wide.close();
    }
  });
});

/** A port free right now (listen on 0, close). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a `chartmine worker` process serves its own /metrics on METRICS_PORT', async () => {
  // A has no workers: the note created in its store in beforeAll waits in A's queue for this process.
  const port = await freePort();
  const config = loadConfig({
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: pair.a.prefix,
    FHIR_BASE_URL: pair.a.handle.fhirBaseUrl,
    FHIR_TOKEN: A_TOKEN,
    WORKERS: '1',
    METRICS_PORT: String(port),
    METRICS_TOKEN,
  });
  const worker = await startWorkerProcess(config, createLogger('silent'), realPipeline);
  try {
    await pair.a.idle(30_000);
    const url = `http://127.0.0.1:${port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    const response = await fetch(url, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    const text = await response.text();
    // B already wrote this note version's findings: the worker's run finds them unchanged (and writes nothing).
    expect(sample(text, 'chartmine_jobs_total', { queue: ANALYZE_NOTE_QUEUE, outcome: 'unchanged' })).toBe(1);
    expect(sample(text, 'chartmine_pipeline_stage_seconds_count', { stage: 'matching' })).toBe(1);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  } finally {
    await worker.close();
  }
  await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow(); // closed with the worker
});
