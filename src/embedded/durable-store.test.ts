/**
 * The embedded store on disk (issue 12 item 5): what was acknowledged is there after a restart, a transaction is all
 * or nothing, a torn last record is cut off, compaction keeps everything, and a second process cannot share DATA_DIR.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { Bundle, Condition, Resource } from '@medplum/fhirtypes';
import { buildEmbeddedCapabilityStatement } from '../fhir/capability-statement.js';
import type { ResourceChange } from './embedded-repository.js';
import { EmbeddedFhirStore } from './embedded-store.js';
import { decodeRecords, encodeRecord } from './store-journal.js';

const STATEMENT = buildEmbeddedCapabilityStatement('test', '2026-01-01');
const dirs: string[] = [];
const stores: EmbeddedFhirStore[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'chartmine-store-'));
  dirs.push(dir);
  return dir;
}

async function open(dir: string, compactAfterBytes?: number): Promise<EmbeddedFhirStore> {
  const store = await EmbeddedFhirStore.open(STATEMENT, { dataDir: dir, compactAfterBytes });
  stores.push(store);
  return store;
}

async function call(store: EmbeddedFhirStore, method: string, path: string, body?: unknown, query = ''): Promise<{ status: number; body: Resource }> {
  return store.handle({ method, path, query: new URLSearchParams(query), body, headers: {}, baseUrl: 'http://fhir.test/fhir/R4' });
}

const condition = (text: string, tag?: string): Condition => ({
  resourceType: 'Condition',
  subject: { reference: 'Patient/p1' },
  code: { text },
  ...(tag ? { meta: { tag: [{ system: 'urn:txn', code: tag }] } } : {}),
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('durable embedded store', () => {
  test('creates, updates, deletes and transactions survive a restart with their versions and history', async () => {
    const dir = dataDir();
    const store = await open(dir);
    const a = (await call(store, 'POST', 'Condition', condition('a'))).body as Condition;
    await call(store, 'PUT', `Condition/${a.id}`, { ...condition('a2'), id: a.id });
    const gone = (await call(store, 'POST', 'Condition', condition('gone'))).body as Condition;
    await call(store, 'DELETE', `Condition/${gone.id}`);
    const txn = await call(store, 'POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [1, 2].map((i) => ({ resource: condition(`t${i}`, 'txn-1'), request: { method: 'POST', url: 'Condition' } })),
    });
    expect(txn.status).toBe(200);
    await store.close();

    const reopened = await open(dir);
    const read = (await call(reopened, 'GET', `Condition/${a.id}`)).body as Condition;
    expect(read).toMatchObject({ code: { text: 'a2' }, meta: { versionId: '2' } });
    const history = (await call(reopened, 'GET', `Condition/${a.id}/_history`)).body as Bundle;
    expect(history.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
    expect((await call(reopened, 'GET', `Condition/${gone.id}`)).status).toBe(410);
    expect(((await call(reopened, 'GET', 'Condition', undefined, '_tag=urn:txn|txn-1')).body as Bundle).total).toBe(2);
    // The next write continues the version count.
    const next = (await call(reopened, 'PUT', `Condition/${a.id}`, { ...condition('a3'), id: a.id })).body as Condition;
    expect(next.meta?.versionId).toBe('3');
  });

  test('a transaction is one journal record; a torn last record is cut off, never half-applied', async () => {
    const dir = dataDir();
    const store = await open(dir);
    await call(store, 'POST', 'Condition', condition('before'));
    await call(store, 'POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [1, 2, 3].map((i) => ({ resource: condition(`t${i}`, 'txn-2'), request: { method: 'POST', url: 'Condition' } })),
    });
    await store.close();
    const [journal] = readdirSync(dir).filter((f) => f.startsWith('journal-'));
    const path = join(dir, journal);
    const { records } = decodeRecords(readFileSync(path));
    expect(records.map((r) => r.length)).toEqual([1, 3]);

    // Every cut inside the transaction's record loses the whole transaction and keeps the write before it.
    const whole = readFileSync(path);
    const firstEnd = encodeRecord(records[0]).length;
    for (const cut of [firstEnd + 1, firstEnd + 8, Math.floor((firstEnd + whole.length) / 2), whole.length - 1]) {
      writeFileSync(path, whole);
      truncateSync(path, cut);
      const reopened = await open(dir);
      expect(reopened.loadReport?.tornBytes).toBe(cut - firstEnd);
      expect(((await call(reopened, 'GET', 'Condition')).body as Bundle).total).toBe(1);
      await reopened.close();
      expect(statSync(path).size).toBe(firstEnd); // the torn bytes are gone, so new records follow whole ones
    }

    // A flipped byte in the last record (checksum) is treated the same way.
    writeFileSync(path, whole);
    const damaged = Buffer.from(whole);
    damaged[damaged.length - 5] ^= 0xff;
    writeFileSync(path, damaged);
    const reopened = await open(dir);
    expect(((await call(reopened, 'GET', 'Condition')).body as Bundle).total).toBe(1);
  });

  test('damage before the last journal stops the start instead of dropping acknowledged writes', async () => {
    const dir = dataDir();
    const store = await open(dir);
    await call(store, 'POST', 'Condition', condition('x'));
    await store.close();
    const [journal] = readdirSync(dir).filter((f) => f.startsWith('journal-'));
    appendFileSync(join(dir, journal), Buffer.from([1, 2, 3]));
    writeFileSync(join(dir, 'journal-99999999.log'), '');
    await expect(open(dir)).rejects.toThrow(/damaged/);
  });

  test('compaction writes a snapshot, drops covered journals and loses nothing', async () => {
    const dir = dataDir();
    const store = await open(dir, 4096);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(((await call(store, 'POST', 'Condition', condition(`c${i}`))).body as Condition).id as string);
    await call(store, 'PUT', `Condition/${ids[0]}`, { ...condition('changed'), id: ids[0] });
    await call(store, 'DELETE', `Condition/${ids[1]}`);
    await store.close();
    expect(readdirSync(dir)).toContain('snapshot.ndjson');
    expect(readdirSync(dir).filter((f) => f.startsWith('journal-')).length).toBe(1);

    const reopened = await open(dir);
    expect(reopened.loadReport?.snapshotVersions).toBeGreaterThan(0);
    expect(((await call(reopened, 'GET', 'Condition', undefined, '_count=100')).body as Bundle).total).toBe(39);
    const history = (await call(reopened, 'GET', `Condition/${ids[0]}/_history`)).body as Bundle;
    expect(history.entry?.map((e) => (e.resource as Condition).code?.text)).toEqual(['changed', 'c0']);
    expect((await call(reopened, 'GET', `Condition/${ids[1]}`)).status).toBe(410);
  });

  test('listeners hear of a change only once it is on disk; a second live process cannot open the folder', async () => {
    const dir = dataDir();
    const store = await open(dir);
    const heard: ResourceChange[] = [];
    store.repo.onChange((c) => {
      const { records } = decodeRecords(readFileSync(join(dir, readdirSync(dir).find((f) => f.startsWith('journal-')) as string)));
      expect(records.flat().some((op) => 'put' in op && op.put.id === c.id)).toBe(true);
      heard.push(c);
    });
    await call(store, 'POST', 'Condition', condition('heard'));
    expect(heard).toHaveLength(1);
    // A lock held by a live process (here: the parent of this test process) refuses the folder.
    const other = dataDir();
    writeFileSync(join(other, 'LOCK'), String(process.ppid));
    await expect(open(other)).rejects.toThrow(/in use by process/);
    // A lock left by a dead process is taken over.
    writeFileSync(join(other, 'LOCK'), '2147483646');
    await expect(open(other)).resolves.toBeInstanceOf(EmbeddedFhirStore);
  });
});
