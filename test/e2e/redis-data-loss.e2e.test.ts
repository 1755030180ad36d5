/**
 * A Redis that lost its data (restart without persistence) loses queued jobs, the catch-up cursor and the pending
 * flag (issue 12 item 6). The watermark kept outside Redis and the epoch key bring the lost notes back: a catch-up
 * re-finds every note changed since the last point at which all jobs had finished, while the server runs and across a
 * server restart (watermark in DATA_DIR). `/readyz` reports Redis's persistence settings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { DocumentReference } from '@medplum/fhirtypes';
import { aNote } from '../builders/note.js';
import { deleteKeys } from '../support/redis.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(env: Record<string, string> = {}): Promise<TestServer> {
  const app = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { WORKERS: '0', ...env } });
  cleanups.push(() => app.close());
  return app;
}

async function queuedNoteIds(app: TestServer): Promise<string[]> {
  const jobs = await app.handle.producer.queue.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
  return jobs.map((j) => (j.data as { noteId: string }).noteId).sort();
}

describe('Redis data loss', () => {
  test('notes whose jobs were lost are queued again after Redis comes back empty', async () => {
    const app = await start();
    const note = (await app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ text: 'hypertension' }))).body;
    await app.handle.settled();
    expect(await queuedNoteIds(app)).toEqual([note.id]);

    await deleteKeys(app.prefix); // Redis restarted without persistence: jobs, cursor and flags are gone
    expect(await queuedNoteIds(app)).toEqual([]);
    expect(await app.handle.recovery.checkEpoch()).toBe(true); // what a reconnect runs
    await app.handle.settled();
    expect(await queuedNoteIds(app)).toEqual([note.id]);
    expect(await app.handle.recovery.checkEpoch()).toBe(false); // once only
  });

  test('across a server restart, the watermark in DATA_DIR brings them back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chartmine-redis-loss-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { STORE: 'file', DATA_DIR: dataDir };
    const first = await start(env);
    const note = (await first.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ text: 'asthma' }))).body;
    await first.handle.settled();
    await first.handle.close();
    cleanups.pop();
    await deleteKeys(first.prefix);

    const second = await start({ ...env, QUEUE_PREFIX: first.prefix });
    await second.handle.settled();
    expect(await queuedNoteIds(second)).toEqual([note.id]);
    expect((await second.request<DocumentReference>('GET', `/fhir/R4/DocumentReference/${note.id}`)).status).toBe(200);
  });

  test('a durable embedded store catches up at start: a note written but never queued (crash) is queued then', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chartmine-unqueued-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { STORE: 'file', DATA_DIR: dataDir };
    const first = await start(env);
    const note = (await first.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ text: 'asthma' }))).body;
    await first.handle.settled();
    // As if the process died while the change still waited in the relay: the note is on disk, its job is not.
    await first.handle.producer.queue.obliterate({ force: true });
    await first.handle.close();
    cleanups.pop();

    const second = await start({ ...env, QUEUE_PREFIX: first.prefix });
    await second.handle.settled();
    expect(await queuedNoteIds(second)).toEqual([note.id]);
  });

  test('/readyz reports the Redis persistence settings', async () => {
    const app = await start();
    type Details = { details?: { redis?: { appendonly?: string; maxmemoryPolicy?: string; warnings?: string[] } } };
    let body: Details = {};
    for (let i = 0; i < 40; i++) {
      body = (await (await fetch(`${app.url}/readyz`)).json()) as Details;
      if (body.details?.redis?.appendonly !== 'checking') break; // read once, in the background, at start-up
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(['yes', 'no', 'unknown']).toContain(body.details?.redis?.appendonly);
    expect(body.details?.redis?.maxmemoryPolicy).toBeTruthy();
    expect(Array.isArray(body.details?.redis?.warnings)).toBe(true);
  });
});
