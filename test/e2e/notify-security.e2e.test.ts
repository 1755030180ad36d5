/**
 * The door: wrong or missing credentials never enqueue anything (nor request a catch-up, nor record an event
 * number) for any form; per-client rate limit; API_TOKEN on the embedded store; refusals never echo note text.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DocumentReference } from '@medplum/fhirtypes';
import { createHmac } from 'node:crypto';
import { scriptedPipeline } from '../support/scripted-pipeline.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import {
  A_TOKEN,
  asFixtureNote,
  BEARER,
  createNote,
  fixture,
  jobCount,
  notify,
  NOTIFY_SECRET,
  redisGet,
  signed,
  startPair,
  topicNotification,
  type Pair,
} from '../support/notify.js';

let pair: Pair;
let note: DocumentReference;

beforeAll(async () => {
  pair = await startPair(async () => scriptedPipeline());
  note = await createNote(pair.a, { subject: 'Patient/door-1', text: 'Hypertension.' });
});
afterAll(async () => {
  await pair?.close();
});

const subscription = 'https://ehr.example.org/fhir/Subscription/door';

/** Every form, as [name, method, path, body, extra headers]. */
function forms(): [string, string, string, string | undefined, Record<string, string>][] {
  const full = JSON.stringify(asFixtureNote(note));
  return [
    ['rest-hook full', 'POST', '', full, {}],
    ['rest-hook empty (ping)', 'POST', '', '', {}],
    ['HAPI PUT', 'PUT', `/DocumentReference/${note.id}`, full, {}],
    ['HAPI DELETE', 'DELETE', `/DocumentReference/${note.id}`, undefined, {}],
    ['Medplum delete', 'POST', '', '{}', { 'X-Medplum-Deleted-Resource': `DocumentReference/${note.id}` }],
    ['R5 id-only', 'POST', '', topicNotification('r5', 'event-id-only', { subscription, eventNumber: 5, note }), {}],
    ['R5 empty', 'POST', '', topicNotification('r5', 'event-empty', { subscription, eventNumber: 5 }), {}],
    ['backport heartbeat', 'POST', '', topicNotification('backport-r4', 'heartbeat', { subscription, eventNumber: 5 }), {}],
  ];
}

const WRONG: [string, (body: string) => Record<string, string>][] = [
  ['no credentials', () => ({})],
  ['a wrong bearer token', () => ({ Authorization: 'Bearer not-the-notify-secret-at-all' })],
  ['the secret without the Bearer scheme', () => ({ Authorization: NOTIFY_SECRET })],
  ['a signature with the wrong key', (body) => signed(body, 'wrong-secret-wrong-secret-wrong')],
  ['a signature over another body', () => signed('{"resourceType":"DocumentReference","id":"other"}')],
];

describe('wrong or missing credentials: 401, nothing enqueued, no catch-up, no event number', () => {
  for (const [credentials, headersFor] of WRONG) {
    test(`${credentials}, every form`, async () => {
      await pair.b.idle();
      const before = await jobCount(pair.b);
      for (const [name, method, path, body, extra] of forms()) {
        const response = await notify(pair.b, body, { ...extra, ...headersFor(body ?? '') }, method, path);
        expect(response.status, name).toBe(401);
        expect(response.body.resourceType).toBe('OperationOutcome');
        expect(response.body.issue[0].code).toBe('login');
        expect(response.headers.get('www-authenticate')).toContain('Bearer');
      }
      await pair.b.idle();
      expect(await jobCount(pair.b)).toBe(before);
      expect(await redisGet(`${pair.b.prefix}:ingest:catch-up-pending`)).toBeNull();
      expect(await redisGet(`${pair.b.prefix}:ingest:cursor`)).toBeNull(); // no catch-up ever ran
    });
  }

  test('the same requests with the secret are accepted (bearer or signature)', async () => {
    for (const [name, method, path, body, extra] of forms().filter(([n]) => !n.includes('DELETE') && !n.includes('delete'))) {
      const bearer = await notify(pair.b, body, { ...extra, ...BEARER }, method, path);
      expect([200, 202], name).toContain(bearer.status);
      const hmac = await notify(pair.b, body, { ...extra, ...signed(body ?? '') }, method, path);
      expect([200, 202], name).toContain(hmac.status);
    }
    await pair.b.idle();
  });
});

describe('strict input', () => {
  test('a body with a JSON media type is required for payloads (415), and refusals never echo note text', async () => {
    const sentinel = 'SENTINEL-door-7f3a';
    const put = await notify(pair.b, 'plain text', { ...BEARER, 'Content-Type': 'text/plain' }, 'PUT', `/DocumentReference/${note.id}`);
    expect(put.status).toBe(415);
    const bad = JSON.stringify({ resourceType: 'DocumentReference', id: `bad id ${sentinel}`, description: sentinel });
    const refused = await notify(pair.b, bad, BEARER);
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).not.toContain(sentinel);
    const malformed = await notify(pair.b, `{"resourceType":"DocumentReference","description":"${sentinel}"`, BEARER);
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.body)).not.toContain(sentinel);
    const notAForm = await notify(pair.b, JSON.stringify(fixture('invalid-searchset-bundle.json')), BEARER);
    expect(notAForm.status).toBe(422);
  });
});

describe('API_TOKEN guards the embedded store', () => {
  test('no or a wrong token is 401; metadata stays open; the token works', async () => {
    const a = pair.a;
    expect((await a.request('GET', '/fhir/R4/DocumentReference')).status).toBe(401);
    expect((await a.request('GET', '/fhir/R4/DocumentReference', undefined, { Authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    expect((await a.request('POST', '/fhir/R4/DocumentReference', { resourceType: 'DocumentReference' })).status).toBe(401);
    expect((await a.request('GET', '/fhir/R4/metadata')).status).toBe(200);
    expect((await a.request('GET', '/fhir/R4/DocumentReference', undefined, { Authorization: `Bearer ${A_TOKEN}` })).status).toBe(200);
  });
});

describe('rate limit on /notify', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ pipeline: async () => scriptedPipeline(), env: { NOTIFY_SECRET, NOTIFY_RATE_LIMIT: '3', WORKERS: '0' } });
  });
  afterAll(async () => {
    await limited?.close();
  });

  test('over the per-client limit: 429 with Retry-After, even with the right secret', async () => {
    const body = JSON.stringify(fixture('invalid-patient.json'));
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof notify>> | undefined;
    for (let i = 0; i < 5; i++) {
      last = await notify(limited, body, { 'X-Signature': createHmac('sha256', NOTIFY_SECRET).update(body).digest('hex') });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([422, 422, 422, 429, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last?.body.issue[0].code).toBe('throttled');
  });
});
