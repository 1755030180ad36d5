import { generateKeyPairSync, verify } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError, UpstreamError, UpstreamRejectedError } from '../errors.js';
import { startStub, type HttpStub } from '../../test/support/http-stub.js';
import { buildClientAssertion, clientCredentialsAuth, createAuthorizedFetch, smartBackendAuth, staticBearerAuth, toSigningKey, type FhirAuth } from './auth.js';

const stubs: HttpStub[] = [];
afterEach(async () => {
  for (const s of stubs.splice(0)) await s.close();
});
async function stub(handler: Parameters<typeof startStub>[0]): Promise<HttpStub> {
  const s = await startStub(handler);
  stubs.push(s);
  return s;
}
const tokenAnswer = (token: string, expiresIn?: number) => (_req: unknown, res: import('node:http').ServerResponse) =>
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'bearer', ...(expiresIn ? { expires_in: expiresIn } : {}) }));

describe('client credentials', () => {
  test('one request for concurrent callers; cached until the refresh margin; refetched after invalidate', async () => {
    let n = 0;
    const tokens = await stub((req, res) => tokenAnswer(`t${++n}`, 600)(req, res));
    let now = 1_000_000;
    const auth = clientCredentialsAuth({ kind: 'client-credentials', clientId: 'id', clientSecret: 'secret', tokenUrl: `${tokens.url}/token`, scope: undefined }, { timeoutMs: 2_000, now: () => now });
    expect(await Promise.all([auth.authorization(), auth.authorization(), auth.authorization()])).toEqual(['Bearer t1', 'Bearer t1', 'Bearer t1']);
    expect(tokens.seen).toHaveLength(1);
    expect(tokens.seen[0].headers.authorization).toBe(`Basic ${Buffer.from('id:secret').toString('base64')}`);
    expect(new URLSearchParams(tokens.seen[0].body).get('grant_type')).toBe('client_credentials');
    now += 539_000; // 600 s lifetime, refreshed 60 s before expiry
    expect(await auth.authorization()).toBe('Bearer t1');
    now += 2_000;
    expect(await auth.authorization()).toBe('Bearer t2');
    expect(auth.invalidate()).toBe(true);
    expect(await auth.authorization()).toBe('Bearer t3');
  });

  test('refusals are not retryable, outages are; the answer never leaks into the message', async () => {
    const refusing = await stub((_req, res) => res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"invalid_client","error_description":"secret s3cr3t is wrong"}'));
    const auth = clientCredentialsAuth({ kind: 'client-credentials', clientId: 'id', clientSecret: 's3cr3t', tokenUrl: `${refusing.url}/token`, scope: 'system/*.read' }, { timeoutMs: 2_000 });
    const err = await auth.authorization().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRejectedError);
    expect((err as Error).message).toContain('invalid_client');
    expect((err as Error).message).not.toContain('s3cr3t');
    const down = await stub((_req, res) => res.writeHead(503).end());
    const auth2 = clientCredentialsAuth({ kind: 'client-credentials', clientId: 'id', clientSecret: 'x', tokenUrl: `${down.url}/token`, scope: undefined }, { timeoutMs: 2_000 });
    await expect(auth2.authorization()).rejects.toBeInstanceOf(UpstreamError);
    const closed = clientCredentialsAuth({ kind: 'client-credentials', clientId: 'id', clientSecret: 'x', tokenUrl: 'http://127.0.0.1:1/token', scope: undefined }, { timeoutMs: 2_000 });
    await expect(closed.authorization()).rejects.toBeInstanceOf(UpstreamError);
  });
});

describe('SMART Backend Services', () => {
  test('keys: RSA → RS384, EC P-384 → ES384, anything else refused', () => {
    const pem = (k: ReturnType<typeof generateKeyPairSync>['privateKey']) => k.export({ type: 'pkcs8', format: 'pem' });
    expect(toSigningKey(pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)).alg).toBe('RS384');
    expect(toSigningKey(pem(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey)).alg).toBe('ES384');
    expect(() => toSigningKey(pem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey))).toThrow(ConfigError);
    expect(() => toSigningKey('not a key')).toThrow(/FHIR_PRIVATE_KEY/);
  });

  test('the client assertion has the claims SMART requires and verifies with the public key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const jwt = buildClientAssertion(toSigningKey(privateKey.export({ type: 'pkcs8', format: 'pem' })), 'kid-1', 'client-1', 'https://auth.example.org/token', 1_700_000_000_000);
    const [h, p, s] = jwt.split('.');
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'ES384', kid: 'kid-1', typ: 'JWT' });
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: 'client-1', sub: 'client-1', aud: 'https://auth.example.org/token', iat: 1_700_000_000, exp: 1_700_000_240 });
    expect(typeof claims.jti).toBe('string');
    expect(verify('sha384', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))).toBe(true);
  });

  test('without FHIR_TOKEN_URL the token endpoint is discovered from .well-known/smart-configuration', async () => {
    const tokens = await stub((req, res) => tokenAnswer('smart-token', 300)(req, res));
    const fhirServer = await stub((req, res) => {
      if (req.url === '/fhir/R4/.well-known/smart-configuration') res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token_endpoint: `${tokens.url}/token` }));
      else res.writeHead(404).end();
    });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const auth = smartBackendAuth(
      { kind: 'smart-backend', clientId: 'c', privateKeyPath: '-', keyId: 'k', tokenUrl: undefined, scope: 'system/*.read' },
      toSigningKey(privateKey.export({ type: 'pkcs8', format: 'pem' })),
      `${fhirServer.url}/fhir/R4/`,
      { timeoutMs: 2_000 }
    );
    expect(await auth.authorization()).toBe('Bearer smart-token');
    const form = new URLSearchParams(tokens.seen[0].body);
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(form.get('scope')).toBe('system/*.read');
    const claims = JSON.parse(Buffer.from((form.get('client_assertion') ?? '').split('.')[1], 'base64url').toString()) as { aud: string };
    expect(claims.aud).toBe(`${tokens.url}/token`);
  });
});

describe('createAuthorizedFetch', () => {
  test('credentials go to the FHIR origin only; a 401 is retried once with a fresh token', async () => {
    let issued = 0;
    const auth: FhirAuth = { authorization: async () => `Bearer t${issued}`, invalidate: () => (issued++, true) };
    const server = await stub((req, res) => res.writeHead(req.headers.authorization === 'Bearer t1' ? 200 : 401).end());
    const other = await stub((_req, res) => res.writeHead(200).end());
    const authorized = createAuthorizedFetch(auth, new URL(server.url).origin);
    expect((await authorized(`${server.url}/fhir/R4/metadata`)).status).toBe(200);
    expect(server.seen.map((r) => r.headers.authorization)).toEqual(['Bearer t0', 'Bearer t1']);
    await authorized(`${other.url}/file`);
    expect(other.seen[0].headers.authorization).toBeUndefined();
    const fixed = createAuthorizedFetch(staticBearerAuth('static'), new URL(server.url).origin);
    expect((await fixed(`${server.url}/x`)).status).toBe(401); // a static token cannot get better: no retry
  });
});
