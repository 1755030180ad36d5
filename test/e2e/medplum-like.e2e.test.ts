/**
 * Chartmine against a server that behaves like a self-hosted Medplum 4.5.2 (test/support/medplum-like-server.ts,
 * which names the observation behind each behaviour): (a) every FHIR request needs an OAuth2 client-credentials
 * token, (c) `Binary/<id>` attachments come back as signed storage URLs on the server's own origin, in reads and in
 * notification bodies, and (d) Subscriptions are created as given (`requested` is never promoted). The notes and
 * results live in a real embedded store behind it. Per-entry transaction errors, (b), are covered with the write step.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Binary, Condition, DocumentReference } from '@medplum/fhirtypes';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { startMedplumLikeServer, type MedplumLikeServer } from '../support/medplum-like-server.js';
import { A_TOKEN, BEARER, fhir, jobsFor, notify, NOTIFY_SECRET, search } from '../support/notify.js';
import { runCli } from '../support/cli.js';
import { TEST_REDIS_URL } from '../support/redis.js';

const pipeline = async () => scriptedPipeline();
const CLIENT = { id: 'chartmine-client', secret: 'medplum-client-secret' };
let a: TestServer;
let medplum: MedplumLikeServer;
let b: TestServer;
let bEnv: Record<string, string>;

beforeAll(async () => {
  a = await startTestServer({ pipeline, env: { WORKERS: '0', API_TOKEN: A_TOKEN } });
  medplum = await startMedplumLikeServer({ storeBaseUrl: a.handle.fhirBaseUrl, storeToken: A_TOKEN, clientId: CLIENT.id, clientSecret: CLIENT.secret });
  const oauth = { FHIR_BASE_URL: medplum.fhirBaseUrl, FHIR_CLIENT_ID: CLIENT.id, FHIR_CLIENT_SECRET: CLIENT.secret, FHIR_TOKEN_URL: medplum.tokenUrl };
  b = await startTestServer({ pipeline, env: { ...oauth, NOTIFY_SECRET, WORKERS: '2' } });
  bEnv = { ...oauth, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: b.prefix, NOTIFY_SECRET };
});
afterAll(async () => {
  await b?.close();
  await medplum?.close();
  await a?.close();
});

/** A note stored as Medplum stores uploads: the text in a Binary, the note pointing at `Binary/<id>`. */
async function binaryNote(subject: string, text: string, url?: (binary: Binary) => string): Promise<DocumentReference> {
  const binary = (await fhir<Binary>(a, 'POST', 'Binary', { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from(text).toString('base64') })).body;
  const note = await fhir<DocumentReference>(a, 'POST', 'DocumentReference', {
    resourceType: 'DocumentReference',
    status: 'current',
    subject: { reference: subject },
    content: [{ attachment: { contentType: 'text/plain', url: url ? url(binary) : `Binary/${binary.id}` } }],
  });
  return note.body;
}

/** The note as Medplum sends it in a rest-hook body: read through the server, so its attachment URL is signed. */
async function asMedplumSendsIt(noteId: string): Promise<string> {
  const token = (await (await fetch(medplum.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT.id, client_secret: CLIENT.secret }),
  })).json()) as { access_token: string };
  const response = await fetch(`${medplum.fhirBaseUrl}DocumentReference/${noteId}`, { headers: { Authorization: `Bearer ${token.access_token}` } });
  return response.text();
}

const conditions = async (subject: string) => (await search<Condition>(a, `Condition?subject=${subject}`)).map((c) => c.code?.text ?? c.code?.coding?.[0]?.code);

describe('a Medplum-like server: OAuth2, signed Binary URLs', () => {
  test('a note stored as a Binary is read through its signed storage URL, without our token, and analysed', async () => {
    const note = await binaryNote('Patient/mp-1', 'Hypertension.');
    const body = await asMedplumSendsIt(note.id ?? '');
    const sentUrl = (JSON.parse(body) as DocumentReference).content[0].attachment.url ?? '';
    expect(sentUrl).toMatch(new RegExp(`^${medplum.url}/storage/${note.content[0].attachment.url?.slice('Binary/'.length)}/[\\w-]+\\?Expires=\\d+&Signature=`));
    expect((await notify(b, body, BEARER)).status).toBe(202);
    await b.idle();
    const [job] = await jobsFor(b, note.id);
    expect(job.failedReason).toBeUndefined();
    expect(await job.getState()).toBe('completed');
    expect(await conditions('Patient/mp-1')).toHaveLength(1);
    expect(medplum.storageAuth.length).toBeGreaterThan(0);
    expect(medplum.storageAuth.every((h) => h === undefined)).toBe(true);
  });

  test('a wrong signature is refused by the server (401) and fails the job at once; nothing is written', async () => {
    const note = await binaryNote('Patient/mp-2', 'Hypertension.', (bin) => medplum.signedUrl(bin.id ?? '', bin.meta?.versionId ?? '1').replace(/Signature=[^&]+/, 'Signature=AAAA'));
    expect((await notify(b, await asMedplumSendsIt(note.id ?? ''), BEARER)).status).toBe(202);
    await b.idle();
    const [job] = await jobsFor(b, note.id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(await conditions('Patient/mp-2')).toEqual([]);
  });

  test.each([
    ['an unsigned storage path', () => `${medplum.url}/storage/abc/1`],
    ['another route on the server\'s origin', () => `${medplum.url}/admin/projects?Expires=1&Signature=x`],
  ])('%s on the server\'s origin is refused before any request', async (_name, url) => {
    const before = medplum.storageAuth.length;
    const note = await binaryNote('Patient/mp-3', 'Hypertension.', () => url());
    expect((await notify(b, await asMedplumSendsIt(note.id ?? ''), BEARER)).status).toBe(202);
    await b.idle();
    const [job] = await jobsFor(b, note.id);
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toContain('error-unsupported-content');
    expect(medplum.storageAuth.length).toBe(before);
  });
});

describe('commands against the OAuth2-protected server use the configured authentication', () => {
  test('check and reprocess --document work; a refused client is a one-line error, exit 1', async () => {
    const note = await binaryNote('Patient/mp-4', 'Hypertension.');
    expect((await runCli(['check'], bEnv)).out).toContain('"fhir":"ok"');
    const reprocess = await runCli(['reprocess', '--document', note.id ?? '', '--timeout', '30'], bEnv);
    expect(reprocess.err).not.toContain('    at ');
    expect((await jobsFor(b, note.id)).map((j) => j.failedReason)).toEqual([undefined]);
    expect(reprocess.code).toBe(0);
    expect(JSON.parse(reprocess.out)).toMatchObject({ notes: 1, queued: 1, completed: 1, failed: 0 });
    expect(await conditions('Patient/mp-4')).toHaveLength(1);

    const refused = await runCli(['reprocess', '--document', note.id ?? ''], { ...bEnv, FHIR_CLIENT_SECRET: 'wrong' });
    expect(refused.code).toBe(1);
    expect(refused.err.trim().split('\n')).toHaveLength(1);
    expect(refused.err).toMatch(/^chartmine reprocess: token endpoint refused the client with 400/);
  });

  test('subscribe creates the Subscription active (as given, Medplum never promotes requested) and verifies it', async () => {
    const result = await runCli(['subscribe'], { ...bEnv, PUBLIC_URL: b.url });
    expect(result.code).toBe(0);
    const [created] = [...medplum.subscriptions.values()];
    expect(created).toMatchObject({ status: 'active', criteria: 'DocumentReference', channel: { type: 'rest-hook', endpoint: `${b.url}/notify` } });
    expect(JSON.stringify(created)).toContain('subscription-secret');
  });
});
