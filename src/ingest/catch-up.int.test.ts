/** Catch-up against the embedded store over HTTP, with the cursor in real Redis: paging, cursor, repeat requests. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DocumentReference } from '@medplum/fhirtypes';
import { aNote } from '../../test/builders/note.js';
import { TEST_REDIS_URL } from '../../test/support/redis.js';
import { scriptedPipeline } from '../../test/support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../../test/support/test-server.js';
import { FhirChangedNotes } from '../fhir/changed-notes.js';
import { MedplumFhirGateway } from '../fhir/gateway.js';
import { createLogger } from '../observability/logger.js';
import { RedisIngestState } from '../queue/ingest-state.js';
import { CatchUp } from './catch-up.js';
import type { NoteEvent } from './note-event.js';

let server: TestServer;
let redis: Redis;

beforeAll(async () => {
  server = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { WORKERS: '0' } });
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

async function createNotes(n: number, subject: string): Promise<DocumentReference[]> {
  const out: DocumentReference[] = [];
  for (let i = 0; i < n; i++) {
    out.push((await server.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ subject, text: `asthma ${i}` }))).body);
  }
  return out;
}

function recordingCatchUp(prefix: string, options: { filter?: string; pageSize?: number; since?: string } = {}) {
  const queued: NoteEvent[] = [];
  const gateway = new MedplumFhirGateway({ baseUrl: server.handle.fhirBaseUrl, timeoutMs: 5_000 });
  const state = new RedisIngestState(redis, prefix);
  const catchUp = new CatchUp({
    state,
    source: new FhirChangedNotes(gateway, { pageSize: options.pageSize ?? 3, filter: options.filter }),
    sink: { accept: async (events) => (queued.push(...events), events.map((e) => e.noteId)) },
    log: createLogger('silent'),
    since: options.since,
  });
  return { queued, state, catchUp };
}

describe('catch-up over the embedded store', () => {
  test('follows next links, queues every note with its version, and advances the cursor', async () => {
    const notes = await createNotes(7, 'Patient/cu-1');
    const { queued, state, catchUp } = recordingCatchUp(`${server.prefix}-a`);
    const report = await catchUp.runOnce();
    const ids = new Set(queued.map((e) => e.noteId));
    for (const note of notes) expect(ids).toContain(note.id);
    expect(queued.find((e) => e.noteId === notes[0].id)?.versionId).toBe(notes[0].meta?.versionId);
    expect(report.pages).toBeGreaterThanOrEqual(3);
    expect(report.walks).toBe(2); // several pages: walked again from the same start, nothing new
    expect(await state.readCursor()).toBe(notes.at(-1)?.meta?.lastUpdated);

    const later = await createNotes(2, 'Patient/cu-1');
    queued.length = 0;
    await catchUp.runOnce();
    const again = new Set(queued.map((e) => e.noteId));
    for (const note of later) expect(again).toContain(note.id);
    // Notes stamped within CATCH_UP_OVERLAP_MS of the cursor may come again; their job ids collapse them.
    expect(await state.readCursor()).toBe(later.at(-1)?.meta?.lastUpdated);
  });

  test('POLL_QUERY filters the search; CATCH_UP_SINCE bounds the first one', async () => {
    const [current] = await createNotes(1, 'Patient/cu-2');
    const superseded = (await server.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', { ...aNote({ subject: 'Patient/cu-2' }), status: 'superseded' })).body;
    const filtered = recordingCatchUp(`${server.prefix}-b`, { filter: 'status=current&subject=Patient/cu-2' });
    await filtered.catchUp.runOnce();
    expect(filtered.queued.map((e) => e.noteId)).toEqual([current.id]);
    expect(filtered.queued.map((e) => e.noteId)).not.toContain(superseded.id);

    const future = recordingCatchUp(`${server.prefix}-c`, { since: '2999-01-01T00:00:00Z' });
    await future.catchUp.runOnce();
    expect(future.queued).toEqual([]);
  });

  test('a request is durable, runs in the background and is retried until the FHIR server answers', async () => {
    const prefix = `${server.prefix}-d`;
    const state = new RedisIngestState(redis, prefix);
    const queued: NoteEvent[] = [];
    let failures = 2;
    const real = new FhirChangedNotes(new MedplumFhirGateway({ baseUrl: server.handle.fhirBaseUrl, timeoutMs: 5_000 }), { filter: 'subject=Patient/cu-3' });
    const catchUp = new CatchUp({
      state,
      source: {
        readFirstPage: async (since) => {
          if (failures-- > 0) throw new Error('server down');
          return real.readFirstPage(since);
        },
        readPage: (url) => real.readPage(url),
      },
      sink: { accept: async (events) => (queued.push(...events), []) },
      log: createLogger('silent'),
      retryDelayMs: () => 20,
    });
    const [note] = await createNotes(1, 'Patient/cu-3');
    await catchUp.request('ping');
    for (let i = 0; i < 100 && queued.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(queued.map((e) => e.noteId)).toEqual([note.id]);
    expect(await state.takePending()).toBe(false);
    await catchUp.close();
  });
});
