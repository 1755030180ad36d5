/**
 * What an auditor and an interoperability team rely on, against the embedded store over HTTP: every stored
 * resource validates against the profile it claims; the README's auditor queries answer; a finding leads back to
 * its exact sentence; AuditEvents record every run (success, skip, failure) without note text; and the document's
 * life (supersession via relatesTo, status superseded, docStatus preliminary) is followed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type {
  AuditEvent,
  Bundle,
  Condition,
  Device,
  DocumentReference,
  Extension,
  Provenance,
  Resource,
} from '@medplum/fhirtypes';
import { ensureChartmineProfiles } from '../../src/fhir/profiles/load-profiles.js';
import { describeIssues, errorsOf, validateAgainstProfiles } from '../../src/fhir/profiles/validate.js';
import { aNote } from '../builders/note.js';
import { realPipeline } from '../support/real-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const DERIVED_TAG = 'https://chartmine.dev/fhir/CodeSystem/chartmine|nlp-derived';
const SOURCE = 'https://chartmine.dev/fhir/CodeSystem/source-document';
const PIPELINE_TAG = 'https://chartmine.dev/fhir/CodeSystem/pipeline-version';
const DEVICE_ID = 'https://chartmine.dev/fhir/sid/pipeline';

let app: TestServer;

beforeAll(async () => {
  ensureChartmineProfiles();
  app = await startTestServer({ pipeline: realPipeline });
});
afterAll(async () => {
  await app?.close();
});

async function bundle<T extends Resource = Resource>(query: string): Promise<Bundle<T>> {
  const response = await app.request<Bundle<T>>('GET', `/fhir/R4/${query}`);
  expect(response.status, query).toBe(200);
  return response.body;
}

async function search<T extends Resource>(query: string): Promise<T[]> {
  return ((await bundle<T>(query)).entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T);
}

async function post(note: DocumentReference): Promise<DocumentReference> {
  const created = await app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', note);
  expect(created.status).toBe(201);
  await app.idle();
  return created.body;
}

async function put(note: DocumentReference): Promise<DocumentReference> {
  const updated = await app.request<DocumentReference>('PUT', `/fhir/R4/DocumentReference/${note.id}`, note);
  expect(updated.status).toBe(200);
  await app.idle();
  return updated.body;
}

const verification = (c: Condition): string | undefined => c.verificationStatus?.coding?.[0].code;
const snomed = (c: Condition): string | undefined => c.code?.coding?.find((x) => x.system === 'http://snomed.info/sct')?.code;
const versionOf = (r: Resource): string => `${r.resourceType}/${r.id}/_history/${r.meta?.versionId}`;
const versioned = (refs: { reference?: string }[] | undefined): string[] => (refs ?? []).map((r) => r.reference ?? '').filter((r) => r.includes('/_history/'));
/**
 * Medplum matches reference search values against the stored reference strings exactly (issue 13, item 6: observed
 * on Medplum 4.5.2, `Provenance?target=Condition/<id>` found nothing while the targets were versioned). The embedded
 * store is more lenient (an unversioned value also matches versioned references), so each auditor search is also
 * checked the strict way: every resource it returns holds the searched string verbatim.
 */
const holdsExactly = (references: (string | undefined)[], value: string): boolean => references.includes(value);

describe('what an auditor can ask, with plain FHIR searches', () => {
  let note: DocumentReference;
  let condition: Condition;
  let provenance: Provenance;

  beforeAll(async () => {
    note = await post(
      aNote({
        subject: 'Patient/audit-1',
        encounter: 'Encounter/audit-e1',
        text: 'History of present illness: denies chest pain.\nAssessment: hypertension. Metformin 500 mg PO BID. BP 151/93, HR 77.',
      })
    );
    [condition] = (await search<Condition>(`Condition?subject=Patient/audit-1`)).filter((c) => snomed(c) === '38341003');
    [provenance] = await search<Provenance>(`Provenance?entity=DocumentReference/${note.id}/_history/${note.meta?.versionId}`);
  });

  test('every resource in the store for this note validates against the profile it claims (strict)', async () => {
    const stored = [
      ...(await search(`Condition?_tag=${SOURCE}|${note.id}`)),
      ...(await search(`MedicationStatement?_tag=${SOURCE}|${note.id}`)),
      ...(await search(`Observation?_tag=${SOURCE}|${note.id}`)),
      ...(await search(`Provenance?_tag=${SOURCE}|${note.id}`)),
      ...(await search(`AuditEvent?_tag=${SOURCE}|${note.id}`)),
      ...(await search('Device')),
    ];
    expect(stored.length).toBeGreaterThan(6);
    for (const resource of stored) {
      expect(resource.meta?.profile?.[0], resource.resourceType).toMatch(/^https:\/\/chartmine\.dev\/fhir\/StructureDefinition\//);
      expect(describeIssues(errorsOf(validateAgainstProfiles(resource))), versionOf(resource)).toEqual([]);
    }
  });

  test('"which resources came from this document version?" — Provenance?entity=DocumentReference/<id>/_history/<v>', async () => {
    const derived = [
      ...(await search(`Condition?_tag=${SOURCE}|${note.id}`)),
      ...(await search(`MedicationStatement?_tag=${SOURCE}|${note.id}`)),
      ...(await search(`Observation?_tag=${SOURCE}|${note.id}`)),
    ];
    expect(versioned(provenance.target).sort()).toEqual(derived.map(versionOf).sort());
    const entityValue = `DocumentReference/${note.id}/_history/${note.meta?.versionId}`;
    expect(holdsExactly(provenance.entity?.map((e) => e.what.reference) ?? [], entityValue)).toBe(true);
    // _include follows the unversioned twins too: the resources themselves in one search.
    const included = (await bundle(`Provenance?entity=${entityValue}&_include=Provenance:target`)).entry?.filter((e) => e.search?.mode === 'include');
    expect(included?.map((e) => versionOf(e.resource as Resource)).sort()).toEqual(derived.map(versionOf).sort());
  });

  test('"… from any version of it?" — Provenance?_tag=<source-document>|<id> (a token: exact on every server)', async () => {
    const found = await search<Provenance>(`Provenance?_tag=${SOURCE}|${note.id}`);
    expect(found.map((p) => p.id)).toEqual([provenance.id]);
    expect(found.every((p) => p.meta?.tag?.some((t) => t.system === SOURCE && t.code === note.id))).toBe(true);
  });

  test('"where did this Condition come from?" — Provenance?target=… and Condition?_id=…&_revinclude=Provenance:target', async () => {
    const byTarget = await search<Provenance>(`Provenance?target=Condition/${condition.id}`);
    expect(byTarget.map((p) => p.id)).toEqual([provenance.id]);
    // The unversioned twin beside the versioned target: what an exact-matching server (Medplum) finds.
    expect(byTarget.every((p) => holdsExactly(p.target.map((t) => t.reference), `Condition/${condition.id}`))).toBe(true);
    expect(holdsExactly(provenance.target.map((t) => t.reference), versionOf(condition))).toBe(true);
    const withProvenance = await bundle(`Condition?_id=${condition.id}&_revinclude=Provenance:target`);
    const included = withProvenance.entry?.filter((e) => e.search?.mode === 'include').map((e) => e.resource as Provenance);
    expect(included?.map((p) => p.id)).toEqual([provenance.id]);
    expect(included?.[0].entity?.[0]).toMatchObject({ role: 'source', what: { reference: `DocumentReference/${note.id}/_history/${note.meta?.versionId}` } });
  });

  test('from the Condition to the exact words: derivation-reference → that note version → offset and length', async () => {
    const span = condition.extension?.find((e) => e.url === 'http://hl7.org/fhir/StructureDefinition/derivation-reference') as Extension;
    const part = (name: string): Extension | undefined => span.extension?.find((e) => e.url === name);
    const source = await app.request<DocumentReference>('GET', `/fhir/R4/${part('reference')?.valueReference?.reference}`);
    expect(source.status).toBe(200);
    expect(part('path')?.valueString).toBe('DocumentReference.content[0].attachment');
    const text = Buffer.from(source.body.content[0].attachment.data as string, 'base64').toString('utf8');
    const offset = part('offset')?.valueInteger as number;
    expect(text.slice(offset, offset + (part('length')?.valueInteger as number)).toLowerCase()).toBe('hypertension');
    expect(condition.evidence?.[0].detail?.[0].reference).toBe(`DocumentReference/${note.id}`);
    expect(condition.category?.[0].coding?.[0].code).toBe('encounter-diagnosis');
  });

  test('"everything produced by pipeline version X" — Device by identifier, Provenance by agent, resources by tag', async () => {
    const deviceRef = provenance.agent[0].who?.reference as string;
    const device = (await app.request<Device>('GET', `/fhir/R4/${deviceRef}`)).body;
    const pipelineVersion = device.version?.find((v) => v.type?.coding?.[0].code === 'pipeline')?.value as string;
    const identifier = device.identifier?.[0].value as string;
    expect((await search<Device>(`Device?identifier=${DEVICE_ID}|${encodeURIComponent(identifier)}`)).map((d) => d.id)).toEqual([device.id]);
    expect((await search<Device>(`Device?_tag=${PIPELINE_TAG}|${encodeURIComponent(pipelineVersion)}`)).map((d) => d.id)).toEqual([device.id]);
    const byAgent = await bundle(`Provenance?agent=${deviceRef}&_include=Provenance:target`);
    const includedIds = byAgent.entry?.filter((e) => e.search?.mode === 'include').map((e) => e.resource?.id);
    expect(includedIds).toContain(condition.id);
    const tagged = await search<Condition>(`Condition?_tag=${PIPELINE_TAG}|${encodeURIComponent(pipelineVersion)}&subject=Patient/audit-1`);
    expect(tagged.map((c) => c.id)).toContain(condition.id);
  });

  test('consumers select or exclude NLP-derived data with _tag and _tag:not', async () => {
    const charted = await app.request<Condition>('POST', '/fhir/R4/Condition', {
      resourceType: 'Condition',
      subject: { reference: 'Patient/audit-1' },
      code: { text: 'charted by a clinician' },
    });
    expect(charted.status).toBe(201);
    const derived = await search<Condition>(`Condition?subject=Patient/audit-1&_tag=${DERIVED_TAG}`);
    const notDerived = await search<Condition>(`Condition?subject=Patient/audit-1&_tag:not=${DERIVED_TAG}`);
    expect(derived.map((c) => c.id)).toContain(condition.id);
    expect(notDerived.map((c) => c.id)).toEqual([charted.body.id]);
  });

  test('"what happened to this note, run by run?" — AuditEvent?_tag=<source-document>|<id>; per version by entity', async () => {
    const all = await search<AuditEvent>(`AuditEvent?_tag=${SOURCE}|${note.id}`);
    expect(all).toHaveLength(1);
    expect(all.every((e) => e.meta?.tag?.some((t) => t.system === SOURCE && t.code === note.id))).toBe(true);
    const entityValue = `DocumentReference/${note.id}/_history/${note.meta?.versionId}`;
    const events = await search<AuditEvent>(`AuditEvent?entity=${entityValue}`);
    expect(events.every((e) => holdsExactly(e.entity?.map((x) => x.what?.reference) ?? [], entityValue))).toBe(true);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({ outcome: '0', action: 'E', agent: [{ who: provenance.agent[0].who }] });
    const details = Object.fromEntries((event.entity?.[0].detail ?? []).map((d) => [d.type, d.valueString]));
    expect(details).toMatchObject({ outcome: 'written', created: String(versioned(provenance.target).length), retracted: '0' });
    expect(event.entity?.[1]?.what?.reference).toBe(`Provenance/${provenance.id}`);
    expect(JSON.stringify(event)).not.toMatch(/hypertension|metformin|chest/i);
  });

  test('a failed run is audited too, with its error code and nothing from the note', async () => {
    const pdf = await app.request<DocumentReference>('POST', '/fhir/R4/DocumentReference', {
      ...aNote({ subject: 'Patient/audit-2' }),
      content: [{ attachment: { contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 SECRET-SENTINEL').toString('base64') } }],
    });
    await app.idle();
    const [event] = await search<AuditEvent>(`AuditEvent?entity=DocumentReference/${pdf.body.id}`);
    expect(event.outcome).toBe('8');
    const details = Object.fromEntries((event.entity?.[0].detail ?? []).map((d) => [d.type, d.valueString]));
    expect(details).toMatchObject({ outcome: 'failed', 'error-code': 'unsupported-content', retryable: 'false' });
    expect(JSON.stringify(event)).not.toContain('SENTINEL');
    expect(describeIssues(errorsOf(validateAgainstProfiles(event)))).toEqual([]);
  });
});

describe('the document\'s life', () => {
  test('a note that replaces another (relatesTo replaces) retracts what was derived from it, in its own transaction', async () => {
    const first = await post(aNote({ subject: 'Patient/life-s1', text: 'Asthma. Hypertension.' }));
    expect((await search<Condition>('Condition?subject=Patient/life-s1')).map(verification)).toEqual(['confirmed', 'confirmed']);
    const second = await post({
      ...aNote({ subject: 'Patient/life-s1', text: 'Hypertension. COPD.' }),
      relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${first.id}` } }],
    });
    const old = await search<Condition>(`Condition?_tag=${SOURCE}|${first.id}`);
    expect(old.map(verification)).toEqual(['entered-in-error', 'entered-in-error']);
    const current = await search<Condition>(`Condition?_tag=${SOURCE}|${second.id}`);
    expect(current.map(snomed).sort()).toEqual(['13645005', '38341003']);
    const [provenance] = await search<Provenance>(`Provenance?entity=DocumentReference/${second.id}/_history/${second.meta?.versionId}`);
    expect(provenance.entity?.map((e) => `${e.role} ${e.what.reference}`)).toEqual([
      `source DocumentReference/${second.id}/_history/${second.meta?.versionId}`,
      `removal DocumentReference/${first.id}`,
    ]);
    expect(provenance.reason?.map((r) => r.text)).toEqual([`DocumentReference/${first.id} superseded by DocumentReference/${second.id} version ${second.meta?.versionId}`]);
    expect(versioned(provenance.target)).toHaveLength(4);
    expect(provenance.target).toHaveLength(8); // each with its unversioned twin
    // The EHR then marks the old note superseded: its run finds the successor and has nothing left to retract.
    const before = (await search<Provenance>(`Provenance?_tag=${SOURCE}|${first.id}`)).length;
    const superseded = await put({ ...first, status: 'superseded' });
    expect((await search<Provenance>(`Provenance?_tag=${SOURCE}|${first.id}`)).length).toBe(before);
    const [event] = await search<AuditEvent>(`AuditEvent?entity=DocumentReference/${first.id}/_history/${superseded.meta?.versionId}`);
    expect(event.outcomeDesc).toMatch(/^unchanged/);
  });

  test('a note marked superseded before its successor arrives keeps its findings until then', async () => {
    const note = await post(aNote({ subject: 'Patient/life-s2', text: 'Asthma.' }));
    const superseded = await put({ ...note, status: 'superseded' });
    expect((await search<Condition>('Condition?subject=Patient/life-s2')).map(verification)).toEqual(['confirmed']);
    const [event] = await search<AuditEvent>(`AuditEvent?entity=DocumentReference/${note.id}/_history/${superseded.meta?.versionId}`);
    expect(event.outcomeDesc).toBe('skipped: awaiting-successor');
  });

  test('a preliminary note is skipped; its final version is analysed', async () => {
    const draft = await post({ ...aNote({ subject: 'Patient/life-p1', text: 'Asthma.' }), docStatus: 'preliminary' });
    expect(await search('Condition?subject=Patient/life-p1')).toEqual([]);
    const [event] = await search<AuditEvent>(`AuditEvent?entity=DocumentReference/${draft.id}`);
    expect(event.outcomeDesc).toBe('skipped: preliminary');
    await put({ ...draft, docStatus: 'final' });
    expect((await search<Condition>('Condition?subject=Patient/life-p1')).map(snomed)).toEqual(['195967001']);
  });

  test('a Provenance left pending (the worker stopped before stamping it) is stamped by the note\'s next run', async () => {
    const note = await post(aNote({ subject: 'Patient/life-r1', text: 'Asthma.' }));
    const [condition] = await search<Condition>('Condition?subject=Patient/life-r1');
    const [written] = await search<Provenance>(`Provenance?_tag=${SOURCE}|${note.id}`);
    // What a crash between the transaction and the stamp leaves: unversioned targets and the pending tag.
    const pending = {
      ...written,
      target: [{ reference: `Condition/${condition.id}` }],
      meta: { ...written.meta, tag: [...(written.meta?.tag ?? []), { system: 'https://chartmine.dev/fhir/CodeSystem/chartmine', code: 'provenance-targets-pending' }] },
    };
    expect((await app.request('PUT', `/fhir/R4/Provenance/${written.id}`, pending)).status).toBe(200);
    await app.handle.producer.enqueue({ noteId: note.id as string, versionId: note.meta?.versionId as string, requestId: 'rerun' }, { jobIdSuffix: 'rerun' });
    await app.idle();
    const repaired = (await app.request<Provenance>('GET', `/fhir/R4/Provenance/${written.id}`)).body;
    expect(repaired.target).toEqual([{ reference: versionOf(condition) }, { reference: `Condition/${condition.id}` }]);
    expect(repaired.meta?.tag?.map((t) => t.code)).not.toContain('provenance-targets-pending');
  });
});

describe('CapabilityStatements', () => {
  test('the embedded store at /fhir/R4/metadata and the service at /metadata', async () => {
    const embedded = await app.request<{ kind: string; instantiates: string[]; rest: { resource: { type: string; supportedProfile?: string[] }[] }[] }>('GET', '/fhir/R4/metadata');
    expect(embedded.body).toMatchObject({ resourceType: 'CapabilityStatement', kind: 'instance', instantiates: ['https://chartmine.dev/fhir/CapabilityStatement/chartmine-embedded-store'] });
    expect(embedded.body.rest[0].resource.find((r) => r.type === 'Condition')?.supportedProfile).toEqual(['https://chartmine.dev/fhir/StructureDefinition/chartmine-condition']);
    const service = await app.request<{ instantiates: string[]; rest: { mode: string }[] }>('GET', '/metadata');
    expect(service.status).toBe(200);
    expect(service.headers.get('content-type')).toContain('application/fhir+json');
    expect(service.body.instantiates).toEqual(['https://chartmine.dev/fhir/CapabilityStatement/chartmine']);
    expect(service.body.rest.map((r) => r.mode)).toEqual(['client', 'server']);
  });
});
