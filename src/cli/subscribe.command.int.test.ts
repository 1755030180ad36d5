/** `chartmine subscribe` against a scripted FHIR server: the Subscription shape follows what /metadata says. */
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { startStub, type HttpStub, type SeenRequest } from '../../test/support/http-stub.js';
import { BACKPORT, MEDPLUM_SUBSCRIPTION_SECRET } from '../fhir/build-subscription.js';
import type { CliIo } from './command.js';
import { COMMANDS } from './commands.js';
import { dispatch } from './dispatch.js';

const SECRET = 'notify-secret-0123456789abcdef';
let server: HttpStub | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function fhirServer(metadata: Record<string, unknown>, topics: unknown[] = []): Promise<HttpStub> {
  server = await startStub((req: SeenRequest, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/fhir+json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && req.url === '/fhir/R4/metadata') return send(200, { resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', ...metadata });
    if (req.method === 'GET' && req.url.startsWith('/fhir/R4/SubscriptionTopic')) return send(200, { resourceType: 'Bundle', type: 'searchset', entry: topics.map((resource) => ({ resource })) });
    if (req.method === 'POST' && req.url === '/fhir/R4/Subscription') return send(201, { ...JSON.parse(req.body), id: 'sub-1' });
    send(404, { resourceType: 'OperationOutcome', issue: [] });
  });
  return server;
}

async function run(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io: CliIo = { stdin: Readable.from(['']), stdout, stderr, env };
  const code = await dispatch(['subscribe', ...args], COMMANDS, io);
  return { code, out, err };
}

const env = (s: HttpStub): Record<string, string> => ({
  FHIR_BASE_URL: `${s.url}/fhir/R4`,
  FHIR_TOKEN: 'server-token',
  PUBLIC_URL: 'https://chartmine.example.org/',
  NOTIFY_SECRET: SECRET,
});
const posted = (s: HttpStub) => JSON.parse(s.seen.find((r) => r.method === 'POST')?.body ?? 'null') as Record<string, unknown> & { channel?: Record<string, unknown> };

describe('chartmine subscribe', () => {
  test('a plain R4 server gets a rest-hook with the criteria and the secret header; the output masks the secret', async () => {
    const s = await fhirServer({ fhirVersion: '4.0.1', rest: [{ mode: 'server', resource: [{ type: 'Subscription' }] }] });
    const result = await run(['--criteria', 'DocumentReference?type=http://loinc.org|11506-3'], env(s));
    expect(result.code).toBe(0);
    const subscription = posted(s);
    expect(subscription).toMatchObject({
      resourceType: 'Subscription',
      status: 'requested',
      criteria: 'DocumentReference?type=http://loinc.org|11506-3',
      channel: { type: 'rest-hook', endpoint: 'https://chartmine.example.org/notify', payload: 'application/fhir+json', header: [`Authorization: Bearer ${SECRET}`] },
    });
    expect(s.seen.every((r) => r.headers.authorization === 'Bearer server-token')).toBe(true);
    expect(result.out).toContain('"id":"sub-1"');
    expect(result.out).not.toContain(SECRET);
  });

  test('a backport R4 server with one DocumentReference topic gets a topic subscription (id-only, heartbeat)', async () => {
    const topic = 'http://example.org/fhir/SubscriptionTopic/documentreference-changed';
    const s = await fhirServer({
      fhirVersion: '4.0.1',
      instantiates: [BACKPORT.serverCapability],
      rest: [{ mode: 'server', resource: [{ type: 'Subscription', extension: [{ url: BACKPORT.topicCanonical, valueCanonical: topic }] }] }],
    });
    expect((await run([], env(s))).code).toBe(0);
    const subscription = posted(s);
    expect(subscription.criteria).toBe(topic);
    expect(subscription.meta).toEqual({ profile: [BACKPORT.subscriptionProfile] });
    expect(subscription._criteria).toEqual({ extension: [{ url: BACKPORT.filterCriteria, valueString: 'DocumentReference' }] });
    expect(subscription.channel?._payload).toEqual({ extension: [{ url: BACKPORT.payloadContent, valueCode: 'id-only' }] });
    expect(subscription.channel?.extension).toEqual([{ url: BACKPORT.heartbeatPeriod, valueUnsignedInt: 3600 }]);
  });

  test('an R5 server: the topic found by search, filterBy from the criteria, the secret as a parameter', async () => {
    const s = await fhirServer({ fhirVersion: '5.0.0', rest: [{ mode: 'server', resource: [{ type: 'Subscription' }, { type: 'SubscriptionTopic' }] }] }, [
      { resourceType: 'SubscriptionTopic', url: 'http://example.org/topic/encounter', resourceTrigger: [{ resource: 'Encounter' }] },
      { resourceType: 'SubscriptionTopic', url: 'http://example.org/topic/notes', resourceTrigger: [{ resource: 'http://hl7.org/fhir/StructureDefinition/DocumentReference' }] },
    ]);
    expect((await run(['--criteria', 'DocumentReference?type=11506-3', '--content', 'full-resource'], { ...env(s), POLL_QUERY: 'x=y' })).code).toBe(0);
    expect(posted(s)).toMatchObject({
      topic: 'http://example.org/topic/notes',
      filterBy: [{ resourceType: 'DocumentReference', filterParameter: 'type', value: '11506-3' }],
      channelType: { code: 'rest-hook' },
      endpoint: 'https://chartmine.example.org/notify',
      parameter: [{ name: 'Authorization', value: `Bearer ${SECRET}` }],
      content: 'full-resource',
    });
  });

  test('Medplum gets the HMAC secret extension; --dry-run posts nothing and masks the secret', async () => {
    const s = await fhirServer({ fhirVersion: '4.0.1', software: { name: 'Medplum' } });
    const result = await run(['--dry-run', '--mode', 'rest-hook'], { ...env(s), POLL_QUERY: 'type=http://loinc.org|11506-3' });
    expect(result.code).toBe(0);
    expect(s.seen.some((r) => r.method === 'POST')).toBe(false);
    const printed = JSON.parse(result.out) as { extension: unknown[]; criteria: string };
    expect(printed.criteria).toBe('DocumentReference?type=http://loinc.org|11506-3');
    expect(printed.extension).toEqual([{ url: MEDPLUM_SUBSCRIPTION_SECRET, valueString: '***' }]);
    expect(result.out).not.toContain(SECRET);
  });

  test('needs FHIR_BASE_URL and PUBLIC_URL; --mode topic on a server without topics is a usage error', async () => {
    expect((await run([], { PUBLIC_URL: 'https://c.example.org' })).err).toMatch(/FHIR_BASE_URL/);
    const s = await fhirServer({ fhirVersion: '4.0.1' });
    expect((await run([], { ...env(s), PUBLIC_URL: '' })).err).toMatch(/PUBLIC_URL/);
    const topic = await run(['--mode', 'topic'], env(s));
    expect(topic.code).toBe(2);
    expect(topic.err).toContain('topic-based');
  });
});
