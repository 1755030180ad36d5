/**
 * A scripted server that behaves like a self-hosted Medplum 4.5.2 in front of a real FHIR store (a Chartmine
 * embedded store, reached with its API_TOKEN). What it reproduces, and what each behaviour is based on:
 *
 * - OAuth2 client credentials at `/oauth2/token` (Medplum's token endpoint; client_secret_basic or
 *   client_secret_post), and every `/fhir/R4` request needs `Authorization: Bearer <access token>`: 401 with an
 *   OperationOutcome otherwise (observed: issue 13, "OAuth2 client credentials"; `chartmine reprocess` died with
 *   "refused with 401").
 * - Binary attachments: `attachment.url: "Binary/<id>"` is rewritten to a signed storage URL on the server's own
 *   origin, `<server>/storage/<id>/<versionId>?Expires=<unix s>&Signature=<base64 RSA-SHA256>`, in every read and
 *   search answer and so in notification bodies (observed: issue 13, item 2; Medplum's `generatePresignedUrl`).
 * - `GET /storage/<id>/<versionId>` as Medplum's storage route (packages/server/src/storage/routes.ts): no
 *   Signature → 401; `Expires` passed → 410; the signature is verified over the URL without `Signature` → 401
 *   "Invalid signature" when it fails; then the raw bytes with the Binary's content type. The route is
 *   unauthenticated and ignores an Authorization header; the server records whether one arrived (`storageAuth`),
 *   so tests can show Chartmine never sends its token there.
 * - Subscriptions are stored exactly as given and read back as stored: `requested` is never promoted, only
 *   `active` would deliver (observed: issue 13, item 1).
 * Everything else is forwarded to the store unchanged.
 */
import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { startStub, type HttpStub, type SeenRequest } from './http-stub.js';

/** A running Medplum-like server. */
export interface MedplumLikeServer extends HttpStub {
  /** The FHIR base (`<url>/fhir/R4/`). */
  readonly fhirBaseUrl: string;
  /** The token endpoint for FHIR_TOKEN_URL. */
  readonly tokenUrl: string;
  /** For each storage request: the Authorization header it carried, if any. */
  readonly storageAuth: (string | undefined)[];
  /** Subscriptions stored as given. */
  readonly subscriptions: Map<string, Record<string, unknown>>;
  /** Makes a signed storage URL for a Binary (what Medplum puts in `attachment.url`). */
  signedUrl(binaryId: string, versionId: string, expiresInS?: number): string;
}

/** Options: the store behind it and the client it accepts. */
export interface MedplumLikeOptions {
  /** The store's FHIR base, e.g. `http://127.0.0.1:1234/fhir/R4/`. */
  readonly storeBaseUrl: string;
  /** The store's API_TOKEN. */
  readonly storeToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Lifetime of the access tokens it hands out. */
  readonly tokenLifetimeS?: number;
}

/**
 * Starts the server.
 * @param options - the store behind it and the client credentials it accepts.
 * @returns the server.
 */
export async function startMedplumLikeServer(options: MedplumLikeOptions): Promise<MedplumLikeServer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const tokens = new Set<string>();
  const storageAuth: (string | undefined)[] = [];
  const subscriptions = new Map<string, Record<string, unknown>>();
  let origin = '';
  let issued = 0;

  const sign = (binaryId: string, versionId: string, expiresInS = 3600): string => {
    const url = new URL(`${origin}/storage/${binaryId}/${versionId}`);
    url.searchParams.set('Expires', String(Math.floor(Date.now() / 1000) + expiresInS));
    const signature = createSign('sha256').update(url.toString()).sign(privateKey, 'base64');
    url.searchParams.set('Signature', signature);
    return url.toString();
  };

  const store = async (method: string, path: string, body?: string, accept = 'application/fhir+json'): Promise<Response> =>
    fetch(`${options.storeBaseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${options.storeToken}`, Accept: accept, ...(body ? { 'Content-Type': 'application/fhir+json' } : {}) },
      body: body || undefined,
    });

  /** Rewrites every `url: "Binary/<id>"` (relative or on this server) to a signed storage URL. */
  const rewrite = async (value: unknown): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map(rewrite));
    if (!value || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = await rewrite(v);
    const match = typeof out.url === 'string' ? /^(?:.*\/fhir\/R4\/)?Binary\/([A-Za-z0-9\-.]+)$/.exec(out.url) : null;
    if (match) {
      const binary = (await (await store('GET', `Binary/${match[1]}`)).json()) as { meta?: { versionId?: string } };
      out.url = sign(match[1], binary.meta?.versionId ?? '1');
    }
    return out;
  };

  const handle = async (req: SeenRequest, res: ServerResponse): Promise<void> => {
    const send = (status: number, body: unknown, type = 'application/fhir+json'): void => {
      res.writeHead(status, { 'Content-Type': type }).end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    const outcome = (code: string, text: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] });
    const url = new URL(req.url, origin);

    if (req.method === 'POST' && url.pathname === '/oauth2/token') {
      const form = new URLSearchParams(req.body);
      const basic = req.headers.authorization?.startsWith('Basic ')
        ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString().split(':').map(decodeURIComponent)
        : [form.get('client_id'), form.get('client_secret')];
      if (form.get('grant_type') !== 'client_credentials') return send(400, { error: 'unsupported_grant_type' }, 'application/json');
      if (basic[0] !== options.clientId || basic[1] !== options.clientSecret) return send(400, { error: 'invalid_request', error_description: 'Invalid secret' }, 'application/json');
      const token = `medplum-access-${++issued}`;
      tokens.add(token);
      return send(200, { token_type: 'Bearer', access_token: token, expires_in: options.tokenLifetimeS ?? 3600 }, 'application/json');
    }

    if (req.method === 'GET' && url.pathname.startsWith('/storage/')) {
      storageAuth.push(req.headers.authorization);
      const signature = url.searchParams.get('Signature');
      if (!signature) return send(401, 'Unauthorized', 'text/plain');
      const expires = Number.parseInt(url.searchParams.get('Expires') ?? '', 10);
      if (!expires || Math.floor(Date.now() / 1000) > expires) return send(410, 'URL has expired', 'text/plain');
      const unsigned = new URL(url);
      unsigned.searchParams.delete('Signature');
      if (!createVerify('sha256').update(unsigned.toString()).verify(publicKey, signature, 'base64')) return send(401, 'Invalid signature', 'text/plain');
      const [id] = url.pathname.slice('/storage/'.length).split('/');
      const binary = (await (await store('GET', `Binary/${id}`)).json()) as { contentType?: string; data?: string };
      if (!binary.data) return send(404, 'Not found', 'text/plain');
      return send(200, Buffer.from(binary.data, 'base64'), binary.contentType ?? 'application/octet-stream');
    }

    if (url.pathname === '/fhir/R4') url.pathname = '/fhir/R4/'; // transactions are POSTed to the base itself
    if (!url.pathname.startsWith('/fhir/R4/')) return send(404, outcome('not-found', 'Not found'));
    if (url.pathname === '/fhir/R4/metadata') {
      const response = await store('GET', 'metadata');
      const cs = (await response.json()) as Record<string, unknown>;
      return send(200, { ...cs, software: { name: 'Medplum', version: '4.5.2' }, publisher: 'Medplum' });
    }
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    if (!token || !tokens.has(token)) return send(401, outcome('login', 'Unauthorized'));

    const path = `${url.pathname}${url.search}`.slice('/fhir/R4/'.length);
    if (path === 'Subscription' && req.method === 'POST') {
      const id = `sub-${subscriptions.size + 1}`;
      const saved = { ...(JSON.parse(req.body) as Record<string, unknown>), id, meta: { versionId: '1' } };
      subscriptions.set(id, saved);
      return send(201, saved);
    }
    const subscription = /^Subscription\/([^/?]+)$/.exec(path);
    if (subscription && req.method === 'GET') {
      const saved = subscriptions.get(subscription[1]);
      return saved ? send(200, saved) : send(404, outcome('not-found', 'Not found'));
    }
    const response = await store(req.method, path, req.body || undefined, req.headers.accept ?? 'application/fhir+json');
    const type = response.headers.get('content-type') ?? 'application/fhir+json';
    const text = await response.text();
    if (!type.includes('json') || !text) return send(response.status, text, type);
    const body = await rewrite(JSON.parse(text));
    const headers: Record<string, string> = { 'Content-Type': type };
    for (const h of ['etag', 'location', 'last-modified']) {
      const v = response.headers.get(h);
      if (v) headers[h] = v.replace(options.storeBaseUrl, `${origin}/fhir/R4/`);
    }
    res.writeHead(response.status, headers).end(JSON.stringify(body).split(options.storeBaseUrl).join(`${origin}/fhir/R4/`));
  };

  const stub = await startStub((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  origin = stub.url;
  return { ...stub, fhirBaseUrl: `${origin}/fhir/R4/`, tokenUrl: `${origin}/oauth2/token`, storageAuth, subscriptions, signedUrl: sign };
}
