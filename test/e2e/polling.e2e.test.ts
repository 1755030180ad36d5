/** Polling for servers without subscriptions: POLL_INTERVAL with POLL_QUERY, the cursor in Redis, no notification. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Condition, DocumentReference } from '@medplum/fhirtypes';
import { aNote } from '../builders/note.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { createNote, fhir, jobsFor, redisGet, search, startPair, type Pair } from '../support/notify.js';

let pair: Pair;

beforeAll(async () => {
  pair = await startPair(async () => scriptedPipeline(), { POLL_INTERVAL: '1s', POLL_QUERY: 'status=current' });
});
afterAll(async () => {
  await pair?.close();
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('B polls A, queues what POLL_QUERY selects, and writes the results to A', async () => {
  const current = await createNote(pair.a, { subject: 'Patient/poll-1', text: 'Hypertension.' });
  const superseded = (await fhir<DocumentReference>(pair.a, 'POST', 'DocumentReference', aNote({ subject: 'Patient/poll-2', text: 'Asthma.', status: 'superseded' }))).body;
  await waitFor(async () => ((await jobsFor(pair.b, current.id)).length > 0 ? true : undefined));
  await pair.b.idle();
  const conditions = await search<Condition>(pair.a, 'Condition?subject=Patient/poll-1');
  expect(conditions.map((c) => c.verificationStatus?.coding?.[0].code)).toEqual(['confirmed']);
  expect(await jobsFor(pair.b, superseded.id)).toEqual([]);

  const cursor = await redisGet(`${pair.b.prefix}:ingest:cursor`);
  expect(Date.parse(cursor ?? '')).toBeGreaterThanOrEqual(Date.parse(current.meta?.lastUpdated ?? ''));

  const updated = (await fhir<DocumentReference>(pair.a, 'PUT', `DocumentReference/${current.id}`, { ...current, description: 'amended' })).body;
  await waitFor(async () => ((await jobsFor(pair.b, current.id)).some((j) => j.id === `note-${current.id}-v${updated.meta?.versionId}`) ? true : undefined));
});
