/**
 * Small local HTTP servers for tests: a token endpoint (OAuth2 client credentials or SMART Backend Services, the
 * remote party that cannot exist here) and a canary host that records whether anyone fetched from it.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** A request the stub saw. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A running stub. */
export interface HttpStub {
  readonly url: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Starts a stub answering with `handler`.
 * @param handler - decides the answer.
 * @returns the stub.
 */
export async function startStub(handler: (req: SeenRequest, res: ServerResponse) => void): Promise<HttpStub> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(request);
      handler(request, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

/** What the token endpoint checks and answers. */
export interface TokenEndpointOptions {
  /** The access token it hands out. */
  readonly accessToken: string;
  readonly expiresIn: number;
  /** client_secret_basic credentials it accepts. */
  readonly client?: { readonly id: string; readonly secret: string };
  /** SMART Backend Services: the client id and the public key its assertions must verify against. */
  readonly smart?: { readonly clientId: string; readonly publicKeyPem: string; readonly keyId: string };
}

/**
 * A token endpoint at `/token` that validates the request as RFC 6749 §4.4 / SMART Backend Services require.
 * @param options - credentials and the token.
 * @returns the stub (`url + '/token'` is FHIR_TOKEN_URL).
 */
export async function startTokenEndpoint(options: TokenEndpointOptions): Promise<HttpStub> {
  const publicKey: KeyObject | undefined = options.smart ? createPublicKey(options.smart.publicKeyPem) : undefined;
  let self: HttpStub | undefined = undefined;
  const stub = await startStub((req, res) => {
    const form = new URLSearchParams(req.body);
    if (req.method !== 'POST' || req.url !== '/token' || !req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      return json(res, 400, { error: 'invalid_request' });
    }
    if (form.get('grant_type') !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type' });
    if (options.client) {
      const expected = `Basic ${Buffer.from(`${encodeURIComponent(options.client.id)}:${encodeURIComponent(options.client.secret)}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return json(res, 401, { error: 'invalid_client' });
    }
    if (options.smart && publicKey) {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || !form.get('scope')) {
        return json(res, 400, { error: 'invalid_request' });
      }
      const [h, p, s] = (form.get('client_assertion') ?? '').split('.');
      const header = JSON.parse(Buffer.from(h ?? '', 'base64url').toString()) as { alg?: string; kid?: string; typ?: string };
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>;
      const ok = verify('sha384', Buffer.from(`${h}.${p}`), header.alg === 'ES384' ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey, Buffer.from(s ?? '', 'base64url'));
      const now = Math.floor(Date.now() / 1000);
      const valid =
        ok &&
        header.kid === options.smart.keyId &&
        header.typ === 'JWT' &&
        claims.iss === options.smart.clientId &&
        claims.sub === options.smart.clientId &&
        claims.aud === `${self?.url}/token` &&
        typeof claims.exp === 'number' &&
        claims.exp > now &&
        claims.exp <= now + 300 &&
        typeof claims.jti === 'string';
      if (!valid) return json(res, 401, { error: 'invalid_client' });
    }
    json(res, 200, { access_token: options.accessToken, token_type: 'bearer', expires_in: options.expiresIn, scope: form.get('scope') ?? 'system/*.*' });
  });
  self = stub;
  return stub;
}
