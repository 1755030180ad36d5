/**
 * The reviewer API over HTTP on real parts (embedded store, Redis, BullMQ worker; scripted pipeline): closed without
 * REVIEW_TOKEN, 401 without a reviewer's token, decisions written as FHIR with If-Match (a stale version gets 412),
 * reprocessing the same note version leaves the decision alone, and `chartmine feedback export` writes JSONL with
 * no note text unless asked for.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Bundle, Condition, DocumentReference, OperationOutcome, Provenance } from '@medplum/fhirtypes';
import { createLogger } from '../../src/observability/logger.js';
import { buildReviewWeb } from '../../src/review/build-web.js';
import { aNote } from '../builders/note.js';
import { runCli } from '../support/cli.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const TOKEN = 'api-review-token-0123456789';
const OTHER_TOKEN = 'other-reviewer-token-0123456789';
const SENTINEL = 'Zebrafinch';
const TEXT = `${SENTINEL} visit. Hypertension noted today. No asthma.`;
const SOURCE = 'https://chartmine.dev/fhir/CodeSystem/source-document';

const logLines: string[] = [];
let app: TestServer;
let closed: TestServer;
let note: DocumentReference & { id: string };
const auth = (token = TOKEN): Record<string, string> => ({ Authorization: `Bearer ${token}`, Accept: 'application/json' });

async function conditions(): Promise<(Condition & { id: string })[]> {
  const bundle = (await app.request<Bundle>('GET', `/fhir/R4/Condition?_tag=${encodeURIComponent(`${SOURCE}|${note.id}`)}`)).body;
  return (bundle.entry ?? []).map((e) => e.resource as Condition & { id: string });
}
const byWord = (list: Condition[], word: string): Condition & { id: string } =>
  list.find((c) => JSON.stringify(c.code).toLowerCase().includes(word)) as Condition & { id: string };

beforeAll(async () => {
  await buildReviewWeb();
  app = await startTestServer({
    pipeline: async () => scriptedPipeline(),
    env: { REVIEW_TOKEN: `Practitioner/rev-a=${TOKEN},rev-b=${OTHER_TOKEN}` },
    log: createLogger('debug', { write: (line: string) => void logLines.push(line) }),
  });
  closed = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { WORKERS: '0' } });
  note = (await app.request<DocumentReference & { id: string }>('POST', '/fhir/R4/DocumentReference', aNote({ text: TEXT, subject: 'Patient/api-review' }))).body;
  await app.idle();
});

afterAll(async () => {
  await closed?.close();
  await app?.close();
});

describe('reviewer API', () => {
  test('closed without REVIEW_TOKEN; 401 OperationOutcome without a reviewer token; the page itself is served with a strict CSP', async () => {
    for (const path of ['/review/', '/review/api/notes']) {
      const res = await closed.request<OperationOutcome>('GET', path, undefined, auth());
      expect(res.status, path).toBe(404);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    for (const headers of [{}, auth('not-a-reviewer-token-at-all')]) {
      const res = await app.request<OperationOutcome>('GET', '/review/api/notes', undefined, headers);
      expect(res.status).toBe(401);
      expect(res.body.issue[0].code).toBe('login');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const page = await fetch(`${app.url}/review/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Reviewer token');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${app.url}/review/assets/review.js`)).status).toBe(200);
    expect((await app.request<{ reviewer: string }>('GET', '/review/api/whoami', undefined, auth(OTHER_TOKEN))).body).toEqual({ reviewer: 'rev-b' });
  });

  test('suggests codes from the terminology index for a correction', async () => {
    const res = await app.request<{ codes: { system: string; code: string }[] }>('GET', `/review/api/codes?q=${encodeURIComponent('asthma')}`, undefined, auth());
    expect(res.status).toBe(200);
    expect(res.body.codes).toContainEqual(expect.objectContaining({ system: 'http://snomed.info/sct', code: '195967001' }));
    expect((await app.request('GET', '/review/api/codes?q=', undefined, auth())).status).toBe(400);
  });

  test('lists the note and returns its text with findings whose spans point at their words', async () => {
    const list = await app.request<{ notes: { id: string }[] }>('GET', '/review/api/notes?patient=Patient/api-review', undefined, auth());
    expect(list.body.notes.map((n) => n.id)).toEqual([note.id]);
    const byId = await app.request<{ notes: { id: string }[] }>('GET', `/review/api/notes?id=DocumentReference/${note.id}`, undefined, auth());
    expect(byId.body.notes.map((n) => n.id)).toEqual([note.id]);
    const bad = await app.request<OperationOutcome>('GET', '/review/api/notes?patient=a%26b', undefined, auth());
    expect(bad.status).toBe(400);
    const detail = await app.request<{ text: string; findings: { label: string; spans: { start: number; end: number }[]; assertion: string }[] }>(
      'GET',
      `/review/api/notes/${note.id}`,
      undefined,
      auth()
    );
    expect(detail.body.text).toBe(TEXT);
    const words = detail.body.findings.flatMap((f) => f.spans.map((s) => `${detail.body.text.slice(s.start, s.end)}:${f.assertion}`)).sort();
    expect(words).toEqual(['Hypertension:affirmed', 'asthma:negated']);
    expect((await app.request('GET', '/review/api/notes/no-such-note', undefined, auth())).status).toBe(404);
    const pdf = (await app.request<DocumentReference & { id: string }>('POST', '/fhir/R4/DocumentReference', aNote({ text: '%PDF-1.7', contentType: 'application/pdf', subject: 'Patient/api-review-pdf' }))).body;
    const unreadable = await app.request<OperationOutcome>('GET', `/review/api/notes/${pdf.id}`, undefined, auth());
    expect(unreadable.status).toBe(422);
    expect(unreadable.body.issue[0].details?.text).toMatch(/application\/pdf/);
  });

  test('correct and reject are FHIR updates with a verifier Provenance; a stale version gets 412; bad input 400', async () => {
    const before = await conditions();
    const htn = byWord(before, 'hypert');
    const asthma = byWord(before, 'asthma');
    const corrected = await app.request<{ finding: { review: string; assertion: string; versionId: string } }>(
      'POST',
      `/review/api/findings/Condition/${htn.id}/decision`,
      { versionId: htn.meta?.versionId, decision: 'correct', code: { system: 'http://snomed.info/sct', code: '59621000', display: 'Essential hypertension' }, assertion: 'possible' },
      { ...auth(), 'Content-Type': 'application/json' }
    );
    expect(corrected.status).toBe(200);
    expect(corrected.body.finding).toMatchObject({ review: 'correct', assertion: 'possible' });
    const stale = await app.request<OperationOutcome>('POST', `/review/api/findings/Condition/${htn.id}/decision`, { versionId: htn.meta?.versionId, decision: 'reject' }, {
      ...auth(),
      'Content-Type': 'application/json',
    });
    expect(stale.status).toBe(412);
    expect(stale.body.issue[0].details?.text).toContain('changed since you loaded it');
    const bad = await app.request<OperationOutcome>('POST', `/review/api/findings/Condition/${asthma.id}/decision`, { versionId: asthma.meta?.versionId, decision: 'maybe' }, {
      ...auth(),
      'Content-Type': 'application/json',
    });
    expect(bad.status).toBe(400);
    const rejected = await app.request('POST', `/review/api/findings/Condition/${asthma.id}/decision`, { versionId: asthma.meta?.versionId, decision: 'reject' }, {
      ...auth(OTHER_TOKEN),
      'Content-Type': 'application/json',
    });
    expect(rejected.status).toBe(200);

    const after = await conditions();
    expect(byWord(after, '59621000').verificationStatus?.coding?.[0]?.code).toBe('provisional');
    expect(byWord(after, 'asthma').verificationStatus?.coding?.[0]?.code).toBe('entered-in-error');
    const provenance = (await app.request<Bundle>('GET', `/fhir/R4/Provenance?target=Condition/${asthma.id}`)).body.entry?.map((e) => e.resource as Provenance) ?? [];
    const decision = provenance.find((p) => p.activity?.coding?.some((c) => c.code === 'review-reject'));
    expect(decision?.agent[0].who).toEqual({ identifier: { system: 'https://chartmine.dev/fhir/sid/reviewer', value: 'rev-b' }, display: 'rev-b' });
  });

  test('reprocessing the same note version leaves the decisions as they are', async () => {
    const before = (await conditions()).map((c) => `${c.id}@${c.meta?.versionId}`).sort();
    const env = { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: app.prefix, FHIR_BASE_URL: app.handle.fhirBaseUrl };
    const run = await runCli(['reprocess', '--document', note.id, '--timeout', '60'], env);
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out.trim().split('\n').at(-1) as string)).toMatchObject({ completed: 1, failed: 0 });
    expect((await conditions()).map((c) => `${c.id}@${c.meta?.versionId}`).sort()).toEqual(before);
  });

  test('through a Chartmine whose FHIR server is external (FHIR_BASE_URL), the same note, findings and chain', async () => {
    const viaExternal = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { WORKERS: '0', FHIR_BASE_URL: app.handle.fhirBaseUrl, REVIEW_TOKEN: `alice=${TOKEN}` } });
    try {
      const direct = await app.request<{ text: string; findings: { ref: string; versionId: string; review?: string }[] }>('GET', `/review/api/notes/${note.id}`, undefined, auth());
      const proxied = await viaExternal.request<typeof direct.body>('GET', `/review/api/notes/${note.id}`, undefined, auth());
      expect(proxied.status).toBe(200);
      expect(proxied.body).toEqual(direct.body);
      expect(proxied.body.findings.map((f) => f.review).sort()).toEqual(['correct', 'reject']);
      const ref = proxied.body.findings[0].ref;
      const chain = await viaExternal.request<{ steps: { decision?: string }[]; devices: { ref: string }[] }>('GET', `/review/api/findings/${ref}/provenance`, undefined, auth());
      expect(chain.body.steps.map((s) => s.decision ?? 'pipeline')[0]).toBe('pipeline');
      expect(chain.body.steps.filter((s) => s.decision)).toHaveLength(1);
      expect(chain.body.devices).toHaveLength(1);
    } finally {
      await viaExternal.close();
    }
  });

  test('feedback export: one JSONL line per decision, no note text unless --include-text', async () => {
    const env = { FHIR_BASE_URL: app.handle.fhirBaseUrl };
    const plain = await runCli(['feedback', 'export'], env);
    expect(plain.code, plain.err).toBe(0);
    expect(JSON.parse(plain.err.trim())).toEqual({ exported: 2 });
    const records = plain.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.decision)).toEqual(['correct', 'reject']);
    expect(records[0]).toMatchObject({
      label: 'Condition',
      note: `DocumentReference/${note.id}`,
      span: { start: TEXT.indexOf('Hypertension'), end: TEXT.indexOf('Hypertension') + 'Hypertension'.length },
      original: { assertion: 'affirmed', code: expect.arrayContaining([expect.objectContaining({ code: '38341003' })]) },
      corrected: { assertion: 'possible', code: [{ system: 'http://snomed.info/sct', code: '59621000', display: 'Essential hypertension' }] },
      reviewer: 'Practitioner/rev-a',
    });
    expect(records[1]).toMatchObject({ decision: 'reject', corrected: null, reviewer: 'rev-b' });
    expect(plain.out).not.toContain(SENTINEL);
    expect(plain.out).not.toContain('sentence');

    const withText = await runCli(['feedback', 'export', '--include-text'], env);
    const sentences = withText.out.trim().split('\n').map((l) => (JSON.parse(l) as { sentence: string }).sentence);
    expect(sentences).toEqual(['Hypertension noted today.', 'No asthma.']);
    const later = await runCli(['feedback', 'export', '--since', '2999-01-01'], env);
    expect(JSON.parse(later.err.trim())).toEqual({ exported: 0 });
  });

  test('neither note text, search values nor tokens reach the logs', () => {
    const logs = logLines.join('\n');
    expect(logs).toContain('/review/api/notes');
    for (const secret of [SENTINEL, 'Hypertension noted', TOKEN, OTHER_TOKEN, 'api-review']) expect(logs, secret).not.toContain(secret);
  });
});
