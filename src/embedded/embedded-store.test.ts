import { beforeEach, describe, expect, test } from 'vitest';
import type { Bundle, Condition, DocumentReference, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { buildEmbeddedCapabilityStatement } from '../fhir/capability-statement.js';
import type { ResourceChange } from './embedded-repository.js';
import { EmbeddedFhirStore } from './embedded-store.js';

let store: EmbeddedFhirStore;
let changes: ResourceChange[];

async function call(method: string, path: string, body?: unknown, query = ''): Promise<{ status: number; body: Resource; headers: Record<string, string> }> {
  return store.handle({ method, path, query: new URLSearchParams(query), body, headers: {}, baseUrl: 'http://fhir.test/fhir/R4' });
}

const condition = (code: string, extra: Partial<Condition> = {}): Condition => ({
  resourceType: 'Condition',
  subject: { reference: 'Patient/p1' },
  code: { text: code },
  identifier: [{ system: 'urn:test', value: code }],
  ...extra,
});

beforeEach(() => {
  store = new EmbeddedFhirStore(buildEmbeddedCapabilityStatement('test', '2026-01-01'));
  changes = [];
  store.repo.onChange((c) => changes.push(c));
});

describe('EmbeddedFhirStore', () => {
  test('create answers 201 with Location and ETag; read, vread and history work', async () => {
    const created = await call('POST', 'Condition', condition('a'));
    expect(created.status).toBe(201);
    const { id, meta } = created.body as Condition;
    expect(created.headers.Location).toBe(`http://fhir.test/fhir/R4/Condition/${id}/_history/${meta?.versionId}`);
    expect(created.headers.ETag).toBe(`W/"${meta?.versionId}"`);
    const updated = await call('PUT', `Condition/${id}`, { ...condition('a'), id, code: { text: 'b' } });
    expect(updated.status).toBe(200);
    expect((await call('GET', `Condition/${id}/_history/${meta?.versionId}`)).body).toMatchObject({ code: { text: 'a' } });
    const history = (await call('GET', `Condition/${id}/_history`)).body as Bundle;
    expect(history.entry?.map((e) => (e.resource as Condition).code?.text)).toEqual(['b', 'a']);
    // History is not reversed in place by reading it twice.
    expect(((await call('GET', `Condition/${id}/_history`)).body as Bundle).entry?.[0].resource).toMatchObject({ code: { text: 'b' } });
  });

  test('an update that changes nothing keeps the version', async () => {
    const created = (await call('POST', 'Condition', condition('a'))).body as Condition;
    const again = (await call('PUT', `Condition/${created.id}`, { ...condition('a'), id: created.id })).body as Condition;
    expect(again.meta?.versionId).toBe(created.meta?.versionId);
    expect(changes.filter((c) => c.interaction === 'update')).toHaveLength(0);
  });

  test('invalid resources are refused with 400 and not stored', async () => {
    const refused = await call('POST', 'Condition', { resourceType: 'Condition', subject: { reference: 'Patient/p1' }, bogus: 1 });
    expect(refused.status).toBe(400);
    expect((refused.body as OperationOutcome).issue[0].severity).toBe('error');
    expect(((await call('GET', 'Condition')).body as Bundle).total).toBe(0);
  });

  test('a failing transaction leaves nothing behind and announces nothing', async () => {
    const existing = (await call('POST', 'Condition', condition('keep'))).body as Condition;
    changes = [];
    const transaction: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: condition('new'), request: { method: 'POST', url: 'Condition' } },
        { resource: { ...existing, code: { text: 'changed' } }, request: { method: 'PUT', url: `Condition/${existing.id}` } },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, bogus: 1 } as Resource, request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const response = await call('POST', '', transaction);
    expect(response.status).toBe(400);
    const all = ((await call('GET', 'Condition')).body as Bundle).entry?.map((e) => (e.resource as Condition).code?.text);
    expect(all).toEqual(['keep']);
    expect(changes).toEqual([]);
  });

  test('If-Match with a stale version fails the transaction', async () => {
    const existing = (await call('POST', 'Condition', condition('a'))).body as Condition;
    const response = await call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { ...existing, code: { text: 'b' } }, request: { method: 'PUT', url: `Condition/${existing.id}`, ifMatch: 'W/"stale"' } }],
    });
    expect(response.status).toBe(412);
  });

  test('deleted resources answer 410 and changes are announced', async () => {
    const created = (await call('POST', 'DocumentReference', { resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { contentType: 'text/plain', data: 'YQ==' } }] })).body;
    expect((await call('DELETE', `DocumentReference/${created.id}`)).status).toBe(200);
    expect((await call('GET', `DocumentReference/${created.id}`)).status).toBe(410);
    expect(changes.map((c) => c.interaction)).toEqual(['create', 'delete']);
  });

  test('searches page with next links and support _revinclude', async () => {
    for (let i = 0; i < 5; i++) await call('POST', 'Condition', condition(`c${i}`));
    const page1 = (await call('GET', 'Condition', undefined, '_count=2')).body as Bundle;
    expect(page1.total).toBe(5);
    expect(page1.entry).toHaveLength(2);
    const next = page1.link?.find((l) => l.relation === 'next')?.url as string;
    expect(next).toContain('_offset=2');
    const page3 = (await call('GET', 'Condition', undefined, '_count=2&_offset=4')).body as Bundle;
    expect(page3.entry).toHaveLength(1);
    expect(page3.link?.some((l) => l.relation === 'next')).toBe(false);

    const target = page1.entry?.[0].resource as Condition;
    await call('POST', 'Provenance', { resourceType: 'Provenance', target: [{ reference: `Condition/${target.id}` }], recorded: '2026-01-01T00:00:00Z', agent: [{ who: { display: 'x' } }] });
    const withProvenance = (await call('GET', 'Condition', undefined, `_id=${target.id}&_revinclude=Provenance:target`)).body as Bundle;
    expect(withProvenance.entry?.map((e) => [e.resource?.resourceType, e.search?.mode])).toEqual([
      ['Condition', 'match'],
      ['Provenance', 'include'],
    ]);
  });

  test('tag and identifier searches stay right through updates, deletes and rolled-back transactions', async () => {
    const tagged = (tag: string) => condition(tag, { meta: { tag: [{ system: 'urn:doc', code: tag }] } });
    const ids = async (query: string) => (((await call('GET', 'Condition', undefined, query)).body as Bundle).entry ?? []).map((e) => (e.resource as Condition).code?.text);
    const a = (await call('POST', 'Condition', tagged('a'))).body as Condition;
    await call('POST', 'Condition', tagged('b'));
    expect(await ids('_tag=urn:doc|a')).toEqual(['a']);
    await call('PUT', `Condition/${a.id}`, { ...tagged('a2'), id: a.id, identifier: [{ system: 'urn:test', value: 'a2' }] });
    expect(await ids('_tag=urn:doc|a')).toEqual([]);
    expect(await ids('_tag=urn:doc|a2')).toEqual(['a2']);
    expect(await ids('identifier=urn:test|a')).toEqual([]);
    expect(await ids('identifier=urn:test|a2&code:text=a2')).toEqual(['a2']);
    await call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: tagged('c'), request: { method: 'POST', url: 'Condition' } },
        { resource: { ...tagged('a3'), id: a.id }, request: { method: 'PUT', url: `Condition/${a.id}` } },
        { resource: { resourceType: 'Condition', subject: { reference: 'Patient/p1' }, bogus: true } as Resource, request: { method: 'POST', url: 'Condition' } },
      ],
    });
    expect(await ids('_tag=urn:doc|c')).toEqual([]);
    expect(await ids('_tag=urn:doc|a3')).toEqual([]);
    expect(await ids('_tag=urn:doc|a2')).toEqual(['a2']);
    await call('DELETE', `Condition/${a.id}`);
    expect(await ids('_tag=urn:doc|a2')).toEqual([]);
  });

  test('relatesto searches (indexed) stay right through updates, versions, deletes and rolled-back transactions', async () => {
    const note = (label: string, targets: string[]): DocumentReference => ({
      resourceType: 'DocumentReference',
      status: 'current',
      description: label,
      content: [{ attachment: { contentType: 'text/plain', data: 'eA==' } }],
      ...(targets.length ? { relatesTo: targets.map((reference) => ({ code: 'replaces' as const, target: { reference } })) } : {}),
    });
    const labels = async (query: string): Promise<(string | undefined)[]> =>
      (((await call('GET', 'DocumentReference', undefined, query)).body as Bundle).entry ?? []).map((e) => (e.resource as DocumentReference).description);
    const old = (await call('POST', 'DocumentReference', note('old', []))).body as DocumentReference;
    const a = (await call('POST', 'DocumentReference', note('a', [`DocumentReference/${old.id}`]))).body as DocumentReference;
    await call('POST', 'DocumentReference', note('b', [`DocumentReference/${old.id}/_history/1`]));
    await call('POST', 'DocumentReference', note('c', ['DocumentReference/elsewhere']));
    expect(await labels(`relatesto=DocumentReference/${old.id}`)).toEqual(['a', 'b']);
    expect(await labels(`relatesto=DocumentReference/${old.id}&status=current&_count=1`)).toEqual(['a']);
    expect(await labels(`relatesto=DocumentReference/${old.id},DocumentReference/elsewhere`)).toEqual(['a', 'b', 'c']);
    // An update keeps the resource's place in the answer (the store's order), as the scan did.
    await call('PUT', `DocumentReference/${a.id}`, { ...note('a2', [`DocumentReference/${old.id}`, 'DocumentReference/elsewhere']), id: a.id });
    expect(await labels(`relatesto=DocumentReference/${old.id}`)).toEqual(['a2', 'b']);
    expect(await labels('relatesto=DocumentReference/elsewhere')).toEqual(['a2', 'c']);
    expect(await labels(`relatesto=DocumentReference/${old.id}&status=superseded`)).toEqual([]);
    await call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { ...note('a3', []), id: a.id }, request: { method: 'PUT', url: `DocumentReference/${a.id}` } },
        { resource: note('d', [`DocumentReference/${old.id}`]), request: { method: 'POST', url: 'DocumentReference' } },
        { resource: { resourceType: 'Condition', subject: { reference: 'Patient/p1' }, bogus: true } as Resource, request: { method: 'POST', url: 'Condition' } },
      ],
    });
    expect(await labels(`relatesto=DocumentReference/${old.id}`)).toEqual(['a2', 'b']);
    await call('PUT', `DocumentReference/${a.id}`, { ...note('a4', []), id: a.id });
    expect(await labels(`relatesto=DocumentReference/${old.id}`)).toEqual(['b']);
    expect(await labels('relatesto=DocumentReference/elsewhere')).toEqual(['c']);
    await call('DELETE', `DocumentReference/${a.id}`);
    await call('PUT', `DocumentReference/${a.id}`, { ...note('a5', [`DocumentReference/${old.id}`]), id: a.id });
    // Deleted and written again: now last in the store's order, and so in the answer.
    expect(await labels(`relatesto=DocumentReference/${old.id}`)).toEqual(['b', 'a5']);
    expect(await labels(`relatesto=DocumentReference/${old.id}/_history/1`)).toEqual(['b']);
  });

  test('metadata is a CapabilityStatement', async () => {
    expect((await call('GET', 'metadata')).body.resourceType).toBe('CapabilityStatement');
  });

  test('a reference search without a version finds versioned references; versioned ones can be included', async () => {
    const target = (await call('POST', 'Condition', condition('v'))).body as Condition;
    const versioned = `Condition/${target.id}/_history/${target.meta?.versionId}`;
    await call('POST', 'Provenance', { resourceType: 'Provenance', target: [{ reference: versioned }], recorded: '2026-01-01T00:00:00Z', agent: [{ who: { display: 'x' } }] });
    const byId = async (query: string): Promise<string[]> => (((await call('GET', 'Provenance', undefined, query)).body as Bundle).entry ?? []).map((e) => e.resource?.resourceType as string);
    expect(await byId(`target=Condition/${target.id}`)).toEqual(['Provenance']);
    expect(await byId(`target=${versioned}`)).toEqual(['Provenance']);
    expect(await byId('target=Condition/other')).toEqual([]);
    expect(await byId(`target=Condition/${target.id}&_include=Provenance:target`)).toEqual(['Provenance', 'Condition']);
    const revinclude = (await call('GET', 'Condition', undefined, `_id=${target.id}&_revinclude=Provenance:target`)).body as Bundle;
    expect(revinclude.entry?.map((e) => e.resource?.resourceType)).toEqual(['Condition', 'Provenance']);
  });

  test('a transaction answer names the version each entry wrote', async () => {
    const response = await call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:22222222-2222-4222-8222-222222222222', resource: condition('t'), request: { method: 'POST', url: 'Condition' } }],
    });
    const [entry] = (response.body as Bundle).entry ?? [];
    const written = entry.resource as Condition;
    expect(entry.response).toMatchObject({ status: '201', location: `Condition/${written.id}/_history/${written.meta?.versionId}`, etag: `W/"${written.meta?.versionId}"` });
  });

  test('a resource that claims a Chartmine profile is refused unless it meets it; unknown profiles are ignored', async () => {
    const claiming = condition('p', { meta: { profile: ['https://chartmine.dev/fhir/StructureDefinition/chartmine-condition'] } });
    const refused = await call('POST', 'Condition', claiming);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('cm-find-2');
    const foreign = condition('q', { meta: { profile: ['http://example.org/StructureDefinition/not-here'] } });
    expect((await call('POST', 'Condition', foreign)).status).toBe(201);
  });
});
