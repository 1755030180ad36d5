/**
 * Failure behaviour over real HTTP, real Redis and BullMQ: instance A serves the embedded store; instances B read
 * and write it as an external FHIR server through a fault-injecting proxy (slow, hanging, or running transactions
 * entry by entry like Medplum without `transaction-bundles`). README "Failure behaviour".
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { AuditEvent, Condition, DocumentReference, OperationOutcome } from '@medplum/fhirtypes';
import { SOURCE_DOCUMENT_TAG_SYSTEM } from '../../src/fhir/naming.js';
import { aNote } from '../builders/note.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { A_TOKEN, asFixtureNote, BEARER, createNote, fhir, jobsFor, notify, NOTIFY_SECRET, search } from '../support/notify.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { deleteKeys } from '../support/redis.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const pipeline = async () => scriptedPipeline();
let a: TestServer;
const started: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  a = await startTestServer({ pipeline, env: { WORKERS: '0', API_TOKEN: A_TOKEN } });
});
afterAll(async () => {
  for (const s of started.reverse()) await s.close();
  await a?.close();
});

/** B reading A through a proxy with the given faults. */
async function startBehindProxy(faults: FaultProxy['faults'], env: Record<string, string> = {}): Promise<{ b: TestServer; proxy: FaultProxy }> {
  const proxy = await startFaultProxy(a.url, faults);
  started.push(proxy);
  const b = await startTestServer({
    pipeline,
    env: { FHIR_BASE_URL: `${proxy.url}/fhir/R4/`, FHIR_TOKEN: A_TOKEN, NOTIFY_SECRET, WORKERS: '2', ...env },
  });
  started.push(b);
  return { b, proxy };
}

const conditionsOf = (noteId: string) => search<Condition>(a, `Condition?_tag=${encodeURIComponent(`${SOURCE_DOCUMENT_TAG_SYSTEM}|${noteId}`)}&_count=100`);
const display = (c: Condition) => c.code?.coding?.[0]?.display;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('fenced writes: two versions of a note processed at once through a slow server', () => {
  test('the old version never writes after the new one; it ends superseded and both outcomes are visible', async () => {
    const { b, proxy } = await startBehindProxy({ delayMs: 120 });
    const v1 = await createNote(a, { text: 'Hypertension.' });
    expect((await notify(b, JSON.stringify(asFixtureNote(v1)), BEARER)).status).toBe(202);
    // Version 2 is written while the version-1 run is between its read and its write.
    await until('the version-1 run to read the note', async () => proxy.seen.includes(`GET /fhir/R4/DocumentReference/${v1.id}`));
    const v2 = (await fhir<DocumentReference>(a, 'PUT', `DocumentReference/${v1.id}`, { ...aNote({ text: 'Asthma.' }), id: v1.id })).body;
    expect(v2.meta?.versionId).not.toBe(v1.meta?.versionId);
    expect((await notify(b, JSON.stringify(asFixtureNote(v2)), BEARER)).status).toBe(202);
    await b.idle(30_000);

    const jobs = await jobsFor(b, v1.id);
    const byVersion = new Map(jobs.map((j) => [j.data.versionId, j]));
    expect(byVersion.get(v1.meta?.versionId ?? '')?.returnvalue).toEqual({ outcome: 'skipped', reason: 'superseded' });
    expect(byVersion.get(v2.meta?.versionId ?? '')?.returnvalue).toMatchObject({ outcome: 'written', created: 1 });
    const conditions = await conditionsOf(v1.id ?? '');
    expect(conditions.map(display)).toEqual(['Asthma']);
    // No Provenance of version 1: it wrote nothing.
    const provenances = await search(a, `Provenance?_tag=${encodeURIComponent(`${SOURCE_DOCUMENT_TAG_SYSTEM}|${v1.id}`)}`);
    expect(provenances).toHaveLength(1);
    expect(JSON.stringify(provenances[0])).toContain(`_history/${v2.meta?.versionId}`);
    // Both runs are on record.
    const audits = await search<AuditEvent>(a, `AuditEvent?_tag=${encodeURIComponent(`${SOURCE_DOCUMENT_TAG_SYSTEM}|${v1.id}`)}`);
    expect(audits.map((e) => e.outcomeDesc).sort()).toEqual([expect.stringMatching(/^skipped: superseded/), expect.stringMatching(/^written/)].sort());
  });
});

describe('a server that runs transactions entry by entry (Medplum without transaction-bundles)', () => {
  test('a refused entry inside a 200 undoes the committed ones, fails the job naming the entry, and the AuditEvent says so', async () => {
    const { b } = await startBehindProxy({ nonAtomic: { forbidden: ['Provenance'] } });
    const note = await createNote(a, { text: 'Hypertension. Asthma.' });
    expect((await notify(b, JSON.stringify(asFixtureNote(note)), BEARER)).status).toBe(202);
    await b.idle(30_000);
    const [job] = await jobsFor(b, note.id);
    expect(await job.getState()).toBe('failed');
    const reason = JSON.parse(job.failedReason) as OperationOutcome;
    expect(reason.issue[0].details?.coding?.[0].code).toBe('error-partial-write');
    expect(reason.issue.slice(1)).toEqual([
      { severity: 'error', code: 'forbidden', details: { text: 'Provenance refused with 403' }, expression: ['Bundle.entry[2]'] },
    ]);
    // Nothing half-written: the two Conditions the server committed were deleted again.
    expect(await conditionsOf(note.id ?? '')).toEqual([]);
    const [audit] = await search<AuditEvent>(a, `AuditEvent?_tag=${encodeURIComponent(`${SOURCE_DOCUMENT_TAG_SYSTEM}|${note.id}`)}`);
    expect(audit.outcome).toBe('8');
    const details = audit.entity?.[0].detail ?? [];
    expect(details).toContainEqual({ type: 'error-code', valueString: 'partial-write' });
    expect(details.find((d) => d.type === 'error-detail')?.valueString).toMatch(/entry 2 \(Provenance\) 403; committed entries undone|entry 2 \(Provenance\) 403.*undone/);
  });
});

describe('a hanging FHIR server', () => {
  test('each step has one deadline, the circuit opens, jobs wait delayed (no attempt burned) and /readyz says so', async () => {
    const { b, proxy } = await startBehindProxy(
      {},
      { FHIR_TIMEOUT_MS: '1500', FHIR_CIRCUIT_THRESHOLD: '2', FHIR_CIRCUIT_OPEN_MS: '2000' }
    );
    const notes = [];
    for (let i = 0; i < 4; i++) notes.push(await createNote(a, { text: 'Hypertension.' }));
    proxy.faults.hang = true;
    for (const note of notes) expect((await notify(b, JSON.stringify(asFixtureNote(note)), BEARER)).status).toBe(202);
    await until('the circuit to open', async () => ((await (await fetch(`${b.url}/readyz`)).json()) as { details?: { fhirCircuit?: string } }).details?.fhirCircuit === 'open');
    const ready = await fetch(`${b.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { fhir: 'failed' }, details: { fhirCircuit: 'open', queueNamespace: b.handle.queue.namespace } });
    await new Promise((r) => setTimeout(r, 1000));
    const duringHang = proxy.seen.length;
    // No AuditEvent was attempted against the hanging server after a read timed out.
    expect(proxy.seen.filter((s) => s.startsWith('POST /fhir/R4/AuditEvent'))).toEqual([]);
    expect(await b.handle.producer.queue.getFailedCount()).toBe(0);
    proxy.faults.hang = false;
    await b.idle(30_000);
    for (const note of notes) {
      const [job] = await jobsFor(b, note.id);
      expect(job.returnvalue).toMatchObject({ outcome: 'written' });
      expect(job.attemptsMade).toBeLessThanOrEqual(2);
    }
    // The breaker kept the hang from being hammered: a handful of requests, not one per job per retry.
    expect(duringHang).toBeLessThan(20);
  }, 60_000);
});

describe('two instances with embedded stores on one Redis', () => {
  test('each analyses its own notes; nothing is taken by the other; /readyz names the namespace', async () => {
    const shared = `test-shared-${randomUUID().slice(0, 8)}`;
    const one = await startTestServer({ pipeline, env: { QUEUE_PREFIX: shared, WORKERS: '1' } });
    started.push(one);
    const two = await startTestServer({ pipeline, env: { QUEUE_PREFIX: shared, WORKERS: '1' } });
    started.push({ close: async () => (await two.close(), await deleteKeys(shared)) });
    expect(one.handle.queue.namespace).not.toBe(two.handle.queue.namespace);
    const ids: Record<string, string[]> = { one: [], two: [] };
    for (let i = 0; i < 3; i++) {
      for (const [name, server] of [['one', one], ['two', two]] as const) {
        const created = await server.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', aNote({ text: 'Hypertension.' }));
        ids[name].push(created.body.id ?? '');
      }
    }
    await Promise.all([one.idle(), two.idle()]);
    for (const [name, server] of [['one', one], ['two', two]] as const) {
      expect(await server.handle.producer.queue.getJobCounts('completed', 'failed')).toEqual({ completed: 3, failed: 0 });
      for (const id of ids[name]) {
        const found = await server.request<{ entry?: unknown[] }>('GET', `/fhir/R4/Condition?_tag=${encodeURIComponent(`${SOURCE_DOCUMENT_TAG_SYSTEM}|${id}`)}`);
        expect(found.body.entry ?? []).toHaveLength(1);
      }
      const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { details: { queueNamespace: string } };
      expect(ready.details.queueNamespace).toBe(server.handle.queue.namespace);
    }
  });
});
