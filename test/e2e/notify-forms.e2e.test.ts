/**
 * Every notification form, end to end: instance A serves the embedded FHIR store (API_TOKEN), instance B has
 * FHIR_BASE_URL pointing at A and receives the notifications; B's workers read the notes from A and write the
 * results back to A. Only notifications create jobs in B (A's own change relay queues into A's queue).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Condition, DocumentReference } from '@medplum/fhirtypes';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import {
  asFixtureNote,
  BEARER,
  createNote,
  fhir,
  fixture,
  jobCount,
  jobsFor,
  notify,
  redisGet,
  search,
  signed,
  startPair,
  topicNotification,
  type Pair,
} from '../support/notify.js';

let pair: Pair;

beforeAll(async () => {
  pair = await startPair(async () => scriptedPipeline());
});
afterAll(async () => {
  await pair?.close();
});

const verification = (c: Condition): string | undefined => c.verificationStatus?.coding?.[0].code;
const jobId = (note: DocumentReference): string => `note-${note.id}-v${note.meta?.versionId}`;

async function conditions(subject: string): Promise<Condition[]> {
  return search<Condition>(pair.a, `Condition?subject=${subject}`);
}

describe('R4 rest-hook with the resource as payload', () => {
  test('POST: one job for the version; results land in A; a duplicate delivery is the same job', async () => {
    const note = await createNote(pair.a, { subject: 'Patient/form-1', text: 'Hypertension.' });
    const body = JSON.stringify(asFixtureNote(note));
    const first = await notify(pair.b, body, BEARER);
    expect(first.status).toBe(202);
    expect(first.body.issue[0].diagnostics).toBe(jobId(note));
    const second = await notify(pair.b, body, BEARER);
    expect(second.body.issue[0].diagnostics).toBe(jobId(note));
    await pair.b.idle();
    expect(await jobsFor(pair.b, note.id)).toHaveLength(1);
    expect((await conditions('Patient/form-1')).map(verification)).toEqual(['confirmed']);
  });

  test('HAPI style: PUT /notify/DocumentReference/{id}, then DELETE retracts what was derived', async () => {
    const note = await createNote(pair.a, { subject: 'Patient/form-2', text: 'Asthma.' });
    const put = await notify(pair.b, JSON.stringify(asFixtureNote(note)), BEARER, 'PUT', `/DocumentReference/${note.id}`);
    expect(put.status).toBe(202);
    expect(put.body.issue[0].diagnostics).toBe(jobId(note));
    await pair.b.idle();
    expect((await conditions('Patient/form-2')).map(verification)).toEqual(['confirmed']);

    expect((await fhir(pair.a, 'DELETE', `DocumentReference/${note.id}`)).status).toBe(200);
    const del = await notify(pair.b, undefined, BEARER, 'DELETE', `/DocumentReference/${note.id}`);
    expect(del.status).toBe(202);
    expect(del.body.issue[0].diagnostics).toBe(`note-${note.id}-vdeleted`);
    await pair.b.idle();
    expect((await conditions('Patient/form-2')).map(verification)).toEqual(['entered-in-error']);
  });

  test('a note marked entered-in-error has its findings retracted, with a Provenance saying why', async () => {
    const note = await createNote(pair.a, { subject: 'Patient/form-3', text: 'Hypertension.' });
    await notify(pair.b, JSON.stringify(asFixtureNote(note)), BEARER);
    await pair.b.idle();
    const updated = (await fhir<DocumentReference>(pair.a, 'PUT', `DocumentReference/${note.id}`, { ...note, status: 'entered-in-error' })).body;
    const response = await notify(pair.b, JSON.stringify({ ...asFixtureNote(updated), status: 'entered-in-error' }), BEARER);
    expect(response.body.issue[0].diagnostics).toBe(jobId(updated));
    await pair.b.idle();
    const [condition] = await conditions('Patient/form-3');
    expect(verification(condition)).toBe('entered-in-error');
    const provenances = await search<{ reason?: { text?: string }[]; activity?: { coding?: { code?: string }[] } } & Condition>(
      pair.a,
      `Provenance?target=Condition/${condition.id}`
    );
    expect(provenances.find((p) => p.activity?.coding?.[0].code === 'NULLIFY')?.reason?.[0].text).toContain('entered-in-error');
  });
});

describe('Medplum webhooks', () => {
  test("a signed resource (X-Signature, no bearer) is queued; a signed `{}` with X-Medplum-Deleted-Resource retracts", async () => {
    const note = await createNote(pair.a, { subject: 'Patient/form-4', text: 'Asthma.' });
    const body = JSON.stringify(asFixtureNote(note));
    const medplum = { 'X-Medplum-Subscription': 'sub-1', 'X-Medplum-Interaction': 'update' };
    const response = await notify(pair.b, body, { ...medplum, ...signed(body) });
    expect(response.status).toBe(202);
    expect(response.body.issue[0].diagnostics).toBe(jobId(note));
    await pair.b.idle();
    expect((await conditions('Patient/form-4')).map(verification)).toEqual(['confirmed']);

    await fhir(pair.a, 'DELETE', `DocumentReference/${note.id}`);
    const deletion = JSON.stringify(fixture('medplum-delete.json'));
    const deleted = await notify(pair.b, deletion, {
      'X-Medplum-Subscription': 'sub-1',
      'X-Medplum-Interaction': 'delete',
      'X-Medplum-Deleted-Resource': `DocumentReference/${note.id}`,
      ...signed(deletion),
    });
    expect(deleted.status).toBe(202);
    await pair.b.idle();
    expect((await conditions('Patient/form-4')).map(verification)).toEqual(['entered-in-error']);
  });
});

describe('R4 rest-hook without payload (a ping)', () => {
  test('searches A for notes changed since the cursor and queues each; the next ping finds only what is new', async () => {
    const notes = [
      await createNote(pair.a, { subject: 'Patient/form-5', text: 'Hypertension.' }),
      await createNote(pair.a, { subject: 'Patient/form-6', text: 'Asthma.' }),
    ];
    const ping = await notify(pair.b, '', BEARER);
    expect(ping.status).toBe(202);
    expect(ping.body.issue[0].details?.text).toContain('catch-up requested (ping)');
    await pair.b.idle();
    for (const note of notes) expect((await jobsFor(pair.b, note.id)).map((j) => j.id)).toEqual([jobId(note)]);
    expect((await conditions('Patient/form-5')).map(verification)).toEqual(['confirmed']);
    const cursor = await redisGet(`${pair.b.prefix}:ingest:cursor`);
    expect(Date.parse(cursor ?? '')).toBeGreaterThanOrEqual(Date.parse(notes[1].meta?.lastUpdated ?? ''));

    const later = await createNote(pair.a, { subject: 'Patient/form-7', text: 'Asthma.' });
    await notify(pair.b, '', { ...BEARER, 'Content-Type': 'application/fhir+json' });
    await pair.b.idle();
    expect((await jobsFor(pair.b, later.id)).map((j) => j.id)).toEqual([jobId(later)]);
    expect(await jobsFor(pair.b, notes[0].id)).toHaveLength(1); // seen again at most, never a second job
  });
});

describe.each(['r5', 'backport-r4'] as const)('topic-based notifications (%s)', (family) => {
  const subscription = `https://ehr.example.org/fhir/Subscription/chartmine-${family}`;
  const send = (body: string) => notify(pair.b, body, BEARER);

  test('handshake and heartbeat: 200, nothing queued', async () => {
    await pair.b.idle();
    const before = await jobCount(pair.b);
    const handshake = await send(topicNotification(family, 'handshake', { subscription, eventNumber: 0 }));
    expect(handshake.status).toBe(200);
    expect(handshake.body.issue[0].details?.text).toBe('queued 0 job(s)');
    await pair.b.idle();
    expect(await jobCount(pair.b)).toBe(before);
  });

  test('id-only: the focus is read and its current version queued; a duplicate delivery is the same job', async () => {
    const note = await createNote(pair.a, { subject: `Patient/${family}-1`, text: 'Hypertension.' });
    const body = topicNotification(family, 'event-id-only', { subscription, eventNumber: 1, note });
    const first = await send(body);
    expect(first.status).toBe(202);
    expect(first.body.issue[0].diagnostics).toBe(jobId(note));
    expect((await send(body)).body.issue[0].diagnostics).toBe(jobId(note));
    const heartbeat = await send(topicNotification(family, 'heartbeat', { subscription, eventNumber: 1 }));
    expect(heartbeat.status).toBe(200);
    await pair.b.idle();
    expect(await jobsFor(pair.b, note.id)).toHaveLength(1);
    expect((await conditions(`Patient/${family}-1`)).map(verification)).toEqual(['confirmed']);
  });

  test('full-resource: the included version is queued, and the worker checks it against A before writing', async () => {
    const note = await createNote(pair.a, { subject: `Patient/${family}-2`, text: 'Asthma.' });
    const response = await send(topicNotification(family, 'event-full-resource', { subscription, eventNumber: 2, note }));
    expect(response.body.issue[0].diagnostics).toBe(jobId(note));
    await pair.b.idle();
    expect((await conditions(`Patient/${family}-2`)).map(verification)).toEqual(['confirmed']);

    // A stale copy (A has moved on to a newer version): queued under its version, skipped by the worker.
    const stale = await createNote(pair.a, { subject: `Patient/${family}-3`, text: 'Asthma.' });
    await fhir(pair.a, 'PUT', `DocumentReference/${stale.id}`, { ...stale, description: 'amended' });
    const staleResponse = await send(topicNotification(family, 'event-full-resource', { subscription, eventNumber: 3, note: stale }));
    expect(staleResponse.body.issue[0].diagnostics).toBe(jobId(stale));
    await pair.b.idle();
    const [job] = await jobsFor(pair.b, stale.id);
    expect(job.returnvalue).toEqual({ outcome: 'skipped', reason: 'superseded' });
    expect(await conditions(`Patient/${family}-3`)).toEqual([]);
  });

  test('a gap in event numbers triggers a catch-up that finds the note whose notification was lost', async () => {
    const lost = await createNote(pair.a, { subject: `Patient/${family}-4`, text: 'Hypertension.' }); // event 4: never delivered
    const next = await createNote(pair.a, { subject: `Patient/${family}-5`, text: 'Asthma.' });
    const response = await send(topicNotification(family, 'event-id-only', { subscription, eventNumber: 5, note: next }));
    expect(response.status).toBe(202);
    expect(response.body.issue[0].details?.text).toContain('catch-up requested (event-gap)');
    await pair.b.idle();
    expect((await jobsFor(pair.b, lost.id)).map((j) => j.id)).toEqual([jobId(lost)]);
    expect((await conditions(`Patient/${family}-4`)).map(verification)).toEqual(['confirmed']);
  });

  test('a heartbeat counting events never delivered triggers a catch-up', async () => {
    const lost = await createNote(pair.a, { subject: `Patient/${family}-6`, text: 'Asthma.' });
    const heartbeat = await send(topicNotification(family, 'heartbeat', { subscription, eventNumber: 7 }));
    expect(heartbeat.status).toBe(202);
    await pair.b.idle();
    expect((await jobsFor(pair.b, lost.id)).map((j) => j.id)).toEqual([jobId(lost)]);
  });

  test('empty content: a catch-up finds the change', async () => {
    const note = await createNote(pair.a, { subject: `Patient/${family}-7`, text: 'Hypertension.' });
    const response = await send(topicNotification(family, 'event-empty', { subscription, eventNumber: 8 }));
    expect(response.status).toBe(202);
    expect(response.body.issue[0].details?.text).toContain('catch-up requested (empty-content)');
    await pair.b.idle();
    expect((await jobsFor(pair.b, note.id)).map((j) => j.id)).toEqual([jobId(note)]);
  });

  test('id-only for a deleted note: its findings are retracted', async () => {
    const note = await createNote(pair.a, { subject: `Patient/${family}-8`, text: 'Asthma.' });
    await send(topicNotification(family, 'event-id-only', { subscription, eventNumber: 9, note }));
    await pair.b.idle();
    await fhir(pair.a, 'DELETE', `DocumentReference/${note.id}`);
    const response = await send(topicNotification(family, 'event-id-only', { subscription, eventNumber: 10, note }));
    expect(response.body.issue[0].diagnostics).toBe(`note-${note.id}-vdeleted`);
    await pair.b.idle();
    expect((await conditions(`Patient/${family}-8`)).map(verification)).toEqual(['entered-in-error']);
  });
});
