/**
 * External FHIR servers: a second Chartmine instance plays the external server. Instance A serves the embedded
 * store behind API_TOKEN; instances B run with FHIR_BASE_URL pointing at A and each authentication kind (static
 * bearer, OAuth2 client credentials, SMART Backend Services against a local token endpoint), receive the
 * notifications, and the results land in A. Attachment URLs off A are refused unless in FETCH_ALLOWLIST.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Binary, Condition, DocumentReference } from '@medplum/fhirtypes';
import type { Job } from 'bullmq';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { startStub, startTokenEndpoint, type HttpStub } from '../support/http-stub.js';
import { A_TOKEN, asFixtureNote, BEARER, createNote, fhir, jobsFor, notify, NOTIFY_SECRET, search } from '../support/notify.js';

const pipeline = async () => scriptedPipeline();
let a: TestServer;
const started: { close(): Promise<void> }[] = [];
let keyDir: string;

beforeAll(async () => {
  a = await startTestServer({ pipeline, env: { WORKERS: '0', API_TOKEN: A_TOKEN } });
  keyDir = mkdtempSync(join(tmpdir(), 'chartmine-keys-'));
});
afterAll(async () => {
  for (const s of started.reverse()) await s.close();
  await a?.close();
  rmSync(keyDir, { recursive: true, force: true });
});

async function startB(env: Record<string, string>): Promise<TestServer> {
  const b = await startTestServer({ pipeline, env: { FHIR_BASE_URL: a.handle.fhirBaseUrl, NOTIFY_SECRET, ...env } });
  started.push(b);
  return b;
}

async function stub(handler: Parameters<typeof startStub>[0]): Promise<HttpStub> {
  const s = await startStub(handler);
  started.push(s);
  return s;
}

async function notifyNote(b: TestServer, note: DocumentReference): Promise<Job> {
  const response = await notify(b, JSON.stringify(asFixtureNote(note)), BEARER);
  expect(response.status).toBe(202);
  await b.idle();
  const [job] = await jobsFor(b, note.id);
  return job;
}

const verification = async (subject: string): Promise<(string | undefined)[]> =>
  (await search<Condition>(a, `Condition?subject=${subject}`)).map((c) => c.verificationStatus?.coding?.[0].code);

describe('A/B: instance B reads and writes instance A', () => {
  test('with a static bearer token (FHIR_TOKEN = A\'s API_TOKEN) the results land in A; B has no store of its own', async () => {
    const b = await startB({ FHIR_TOKEN: A_TOKEN });
    expect(b.handle.store).toBeUndefined();
    expect((await b.request('GET', '/fhir/R4/metadata')).status).toBe(404);
    expect((await b.request<{ checks: Record<string, string> }>('GET', '/readyz')).body.checks.fhir).toBe('ok');
    const note = await createNote(a, { subject: 'Patient/ext-1', text: 'Hypertension.' });
    expect(await (await notifyNote(b, note)).getState()).toBe('completed');
    expect(await verification('Patient/ext-1')).toEqual(['confirmed']);
  });

  test('a wrong token fails the job at once (401 is not retried) and writes nothing', async () => {
    const b = await startB({ FHIR_TOKEN: 'not-a-valid-token-for-a' });
    const note = await createNote(a, { subject: 'Patient/ext-2', text: 'Hypertension.' });
    const job = await notifyNote(b, note);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('error-upstream-rejected');
    expect(await verification('Patient/ext-2')).toEqual([]);
  });
});

describe('OAuth2 client credentials', () => {
  test('the token is fetched with client_secret_basic, cached, and fetched again before it expires', async () => {
    const tokens = await startTokenEndpoint({ accessToken: A_TOKEN, expiresIn: 1, client: { id: 'chartmine', secret: 's3cret:with/odd&chars' } });
    started.push(tokens);
    const b = await startB({ FHIR_CLIENT_ID: 'chartmine', FHIR_CLIENT_SECRET: 's3cret:with/odd&chars', FHIR_TOKEN_URL: `${tokens.url}/token`, FHIR_SCOPE: 'system/*.*' });
    const first = await createNote(a, { subject: 'Patient/ext-3', text: 'Asthma.' });
    expect(await (await notifyNote(b, first)).getState()).toBe('completed');
    const afterFirst = tokens.seen.length;
    expect(afterFirst).toBeGreaterThanOrEqual(1);
    expect(new URLSearchParams(tokens.seen[0].body).get('scope')).toBe('system/*.*');
    await new Promise((r) => setTimeout(r, 700)); // past the refresh point (half of a 1 s lifetime)
    const second = await createNote(a, { subject: 'Patient/ext-4', text: 'Asthma.' });
    expect(await (await notifyNote(b, second)).getState()).toBe('completed');
    expect(tokens.seen.length).toBeGreaterThan(afterFirst);
    expect(await verification('Patient/ext-3')).toEqual(['confirmed']);
    expect(await verification('Patient/ext-4')).toEqual(['confirmed']);
  });

  test('a refused client fails the job without retries', async () => {
    const tokens = await startTokenEndpoint({ accessToken: A_TOKEN, expiresIn: 300, client: { id: 'chartmine', secret: 'right' } });
    started.push(tokens);
    const b = await startB({ FHIR_CLIENT_ID: 'chartmine', FHIR_CLIENT_SECRET: 'wrong', FHIR_TOKEN_URL: `${tokens.url}/token` });
    const note = await createNote(a, { subject: 'Patient/ext-5', text: 'Asthma.' });
    const job = await notifyNote(b, note);
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toContain('invalid_client');
    expect(await verification('Patient/ext-5')).toEqual([]);
  });
});

describe('SMART Backend Services', () => {
  test.each([
    ['ES384', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' })],
    ['RS384', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ])('a %s-signed client assertion buys the token; results land in A', async (alg, generate) => {
    const { privateKey, publicKey } = generate();
    const keyPath = join(keyDir, `${alg}.pem`);
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const tokens = await startTokenEndpoint({
      accessToken: A_TOKEN,
      expiresIn: 300,
      smart: { clientId: 'chartmine-backend', keyId: `key-${alg}`, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    });
    started.push(tokens);
    const b = await startB({ FHIR_CLIENT_ID: 'chartmine-backend', FHIR_PRIVATE_KEY: keyPath, FHIR_KEY_ID: `key-${alg}`, FHIR_TOKEN_URL: `${tokens.url}/token` });
    const note = await createNote(a, { subject: `Patient/ext-smart-${alg}`, text: 'Hypertension.' });
    expect(await (await notifyNote(b, note)).getState()).toBe('completed');
    expect(tokens.seen.length).toBe(1); // cached for its lifetime
    expect(await verification(`Patient/ext-smart-${alg}`)).toEqual(['confirmed']);
  });
});

describe('attachment URLs: only the FHIR base, or FETCH_ALLOWLIST', () => {
  let canary: HttpStub;
  let elsewhere: HttpStub;
  let bearer: TestServer;
  let allowing: TestServer;

  beforeAll(async () => {
    elsewhere = await stub((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Hypertension.'));
    canary = await stub((req, res) => {
      if (req.url === '/hop') res.writeHead(302, { Location: `${elsewhere.url}/note.txt` }).end();
      else res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Hypertension.');
    });
    bearer = await startB({ FHIR_TOKEN: A_TOKEN });
    allowing = await startB({ FHIR_TOKEN: A_TOKEN, FETCH_ALLOWLIST: canary.url });
  });

  const noteWithUrl = (subject: string, url: string) =>
    fhir<DocumentReference>(a, 'POST', 'DocumentReference', {
      resourceType: 'DocumentReference',
      status: 'current',
      subject: { reference: subject },
      content: [{ attachment: { contentType: 'text/plain', url } }],
    }).then((r) => r.body);

  test('a Binary on A (relative url) is read with A\'s credentials', async () => {
    const binary = (await fhir<Binary>(a, 'POST', 'Binary', { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from('Asthma.').toString('base64') })).body;
    const note = await noteWithUrl('Patient/ext-bin', `Binary/${binary.id}`);
    expect(await (await notifyNote(bearer, note)).getState()).toBe('completed');
    expect(await verification('Patient/ext-bin')).toEqual(['confirmed']);
  });

  test.each([
    ['another host', () => `${canary.url}/latest/meta-data`],
    ['the FHIR server outside its base', () => `${new URL(a.handle.fhirBaseUrl).origin}/healthz`],
    ['a link-local metadata address', () => 'http://169.254.169.254/latest/meta-data/iam'],
    ['credentials in the URL', () => `http://${A_TOKEN}@127.0.0.1:1/x`],
    ['a file URL', () => 'file:///etc/passwd'],
  ])('%s is refused, nothing is fetched', async (_name, url) => {
    const before = canary.seen.length;
    const note = await noteWithUrl('Patient/ext-ssrf', url());
    const job = await notifyNote(bearer, note);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('error-unsupported-content');
    expect(canary.seen.length).toBe(before);
  });

  test('an allowlisted host is fetched without our credentials; its redirect elsewhere is refused', async () => {
    const ok = await noteWithUrl('Patient/ext-allow', `${canary.url}/note.txt`);
    expect(await (await notifyNote(allowing, ok)).getState()).toBe('completed');
    expect(await verification('Patient/ext-allow')).toEqual(['confirmed']);
    expect(canary.seen.at(-1)?.headers.authorization).toBeUndefined();

    const hop = await noteWithUrl('Patient/ext-hop', `${canary.url}/hop`);
    const job = await notifyNote(allowing, hop);
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toContain('error-unsupported-content');
    expect(elsewhere.seen).toHaveLength(0);
  });
});
