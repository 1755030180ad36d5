/** `chartmine subscribe` against a scripted FHIR server: the Subscription shape follows what /metadata says. */
import { afterEach, describe, expect, test } from 'vitest';
import { startStub, type HttpStub, type SeenRequest } from '../../test/support/http-stub.js';
import { BACKPORT, MEDPLUM_SUBSCRIPTION_SECRET } from '../fhir/build-subscription.js';
import { runCli, type CliRun } from '../../test/support/cli.js';
import { startSubscriptionServer, type SubscriptionServer } from '../../test/support/subscription-servers.js';
import { startTokenEndpoint } from '../../test/support/http-stub.js';

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
    // A server that stores the Subscription as given (and so reports the status it was created with).
    if (req.method === 'POST' && req.url === '/fhir/R4/Subscription') return send(201, { ...JSON.parse(req.body), id: 'sub-1' });
    if (req.method === 'GET' && req.url === '/fhir/R4/Subscription/sub-1') {
      const created = server?.seen.find((r) => r.method === 'POST')?.body;
      return send(200, { ...JSON.parse(created ?? '{}'), id: 'sub-1', status: 'active' });
    }
    send(404, { resourceType: 'OperationOutcome', issue: [] });
  });
  return server;
}

function run(args: string[], env: Record<string, string>): Promise<CliRun> {
  return runCli(['subscribe', ...args], env);
}

const env = (s: HttpStub): Record<string, string> => ({
  FHIR_BASE_URL: `${s.url}/fhir/R4`,
  FHIR_TOKEN: 'server-token',
  PUBLIC_URL: 'https://chartmine.example.org/',
  NOTIFY_SECRET: SECRET,
});
const posted = (s: HttpStub) => JSON.parse(s.seen.find((r) => r.method === 'POST')?.body ?? 'null') as Record<string, unknown> & { channel?: Record<string, unknown> };

describe('chartmine subscribe', () => {
  test('a plain R4 server gets an active rest-hook with the criteria and the secret header; the output masks the secret', async () => {
    const s = await fhirServer({ fhirVersion: '4.0.1', rest: [{ mode: 'server', resource: [{ type: 'Subscription' }] }] });
    const result = await run(['--criteria', 'DocumentReference?type=http://loinc.org|11506-3'], env(s));
    expect(result.code).toBe(0);
    const subscription = posted(s);
    expect(subscription).toMatchObject({
      resourceType: 'Subscription',
      status: 'active',
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

describe('chartmine subscribe: the Subscription must end up active', () => {
  let scripted: SubscriptionServer | undefined;
  afterEach(async () => {
    await scripted?.close();
    scripted = undefined;
  });
  const MEDPLUM = { fhirVersion: '4.0.1', software: { name: 'Medplum', version: '4.5.2' } };
  const HAPI = { fhirVersion: '4.0.1', software: { name: 'HAPI FHIR Server', version: '7.4.0' } };

  test('Medplum (stores the status as given, never promotes requested): created active, reported active, exit 0', async () => {
    scripted = await startSubscriptionServer('medplum', MEDPLUM);
    const result = await run(['--mode', 'rest-hook'], env(scripted));
    expect(result.err).toContain('active');
    expect(result.code).toBe(0);
    expect([...scripted.stored.values()].map((s) => s.status)).toEqual(['active']);
    expect(result.err).toContain('--catch-up'); // how to queue notes created before activation
  });

  test('HAPI (activates requested itself): the client-set active is accepted too, verified, exit 0', async () => {
    scripted = await startSubscriptionServer('hapi-activating', HAPI);
    expect((await run(['--mode', 'rest-hook'], env(scripted))).code).toBe(0);
  });

  test('HAPI with manual activation: active is refused, requested is created, stays requested: exit 1 and says so', async () => {
    scripted = await startSubscriptionServer('hapi-manual', HAPI);
    const result = await run(['--mode', 'rest-hook', '--wait', '1'], env(scripted));
    expect(result.code).toBe(1);
    expect(result.err).toContain('creating it requested');
    expect(result.err).toMatch(/Subscription\/sub-1 is 'requested'.*not 'active'/);
    expect([...scripted.stored.values()].map((s) => s.status)).toEqual(['requested']);
    expect(result.err).not.toContain('    at '); // no stack trace
  });

  test('a topic server whose handshake failed reports error: exit 1 with the server\'s reason', async () => {
    const topic = 'http://example.org/fhir/SubscriptionTopic/documentreference-changed';
    scripted = await startSubscriptionServer('handshake-fails', {
      fhirVersion: '4.0.1',
      instantiates: [BACKPORT.serverCapability],
      rest: [{ mode: 'server', resource: [{ type: 'Subscription', extension: [{ url: BACKPORT.topicCanonical, valueCanonical: topic }] }] }],
    });
    const result = await run(['--wait', '2'], env(scripted));
    expect([...scripted.stored.values()][0]?.criteria).toBe(topic);
    expect(result.code).toBe(1);
    expect(result.err).toContain("is 'error' (handshake to the endpoint failed: 503)");
  });

  test('--catch-up pings PUBLIC_URL/notify with the secret once the Subscription is active', async () => {
    scripted = await startSubscriptionServer('medplum', MEDPLUM);
    const chartmine = await startStub((_req, res) => void res.writeHead(202).end());
    try {
      const result = await run(['--mode', 'rest-hook', '--catch-up'], { ...env(scripted), PUBLIC_URL: chartmine.url });
      expect(result.code).toBe(0);
      expect(chartmine.seen).toHaveLength(1);
      expect(chartmine.seen[0]).toMatchObject({ method: 'POST', url: '/notify', body: '' });
      expect(chartmine.seen[0].headers.authorization).toBe(`Bearer ${SECRET}`);
      expect(result.err).toContain('catch-up requested');
    } finally {
      await chartmine.close();
    }
  });

  test('against an OAuth2-protected server: the token from client credentials is used; a refused client is one line', async () => {
    const tokens = await startTokenEndpoint({ accessToken: 'oauth-access-token', expiresIn: 300, client: { id: 'cm', secret: 'right' } });
    scripted = await startSubscriptionServer('medplum', MEDPLUM, 'oauth-access-token');
    try {
      const oauth = { FHIR_BASE_URL: `${scripted.url}/fhir/R4`, PUBLIC_URL: 'https://chartmine.example.org', NOTIFY_SECRET: SECRET, FHIR_CLIENT_ID: 'cm', FHIR_TOKEN_URL: `${tokens.url}/token` };
      expect((await run(['--mode', 'rest-hook'], { ...oauth, FHIR_CLIENT_SECRET: 'right' })).code).toBe(0);
      const refused = await run(['--mode', 'rest-hook'], { ...oauth, FHIR_CLIENT_SECRET: 'wrong' });
      expect(refused.code).toBe(1);
      expect(refused.err.trim().split('\n')).toHaveLength(1);
      expect(refused.err).toContain('refused the client with 401');
    } finally {
      await tokens.close();
    }
  });
});
