/**
 * Authentication towards an external FHIR server: none, a static bearer token, OAuth2 client credentials
 * (RFC 6749 §4.4, client_secret_basic) or SMART Backend Services (a private-key JWT client assertion, RFC 7523,
 * as the SMART App Launch "Backend Services" profile specifies). Tokens are cached and fetched again shortly
 * before they expire, or at once after the server answers 401. The Authorization header is only ever sent to the
 * FHIR server's own origin, never to an attachment host from FETCH_ALLOWLIST.
 */
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FhirAuthConfig } from '../config/config.js';
import { AppError, ConfigError, UpstreamError, UpstreamRejectedError } from '../errors.js';
import type { FetchLike } from './fhir-http.js';

/** Supplies the Authorization header of requests to the FHIR server. */
export interface FhirAuth {
  /** What to send as `Authorization` (e.g. `Bearer …`), or `undefined` for nothing. */
  authorization(): Promise<string | undefined>;
  /**
   * Forgets a cached token after the server answered 401.
   * @returns whether a fresh token may help (so the request is worth one retry).
   */
  invalidate(): boolean;
}

/** Fetch a new token when the cached one has less than this left (or half its lifetime, if shorter). */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** Lifetime assumed when a token response has no `expires_in` (RFC 6749 only recommends it). */
export const DEFAULT_TOKEN_LIFETIME_S = 300;
/** SMART Backend Services: the assertion's `exp` must be at most five minutes ahead; stay under it. */
export const CLIENT_ASSERTION_LIFETIME_S = 240;
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** No authentication. */
export const NO_AUTH: FhirAuth = {
  authorization: async () => undefined,
  invalidate: () => false,
};

/**
 * A static bearer token (FHIR_TOKEN).
 * @param token - the token.
 * @returns the auth.
 */
export function staticBearerAuth(token: string): FhirAuth {
  return { authorization: async () => `Bearer ${token}`, invalidate: () => false };
}

/** What a token endpoint needs, beyond `grant_type=client_credentials`. */
type TokenRequest = (tokenUrl: string) => { readonly body: URLSearchParams; readonly headers: Record<string, string> };

/** Options shared by the token-endpoint kinds. */
export interface TokenAuthOptions {
  readonly fetch?: FetchLike;
  readonly timeoutMs: number;
  /** Milliseconds since the epoch; tests move it. */
  readonly now?: () => number;
}

interface CachedToken {
  readonly value: string;
  readonly refreshAt: number;
}

/** Tokens from an OAuth2 token endpoint, cached until shortly before they expire. */
class TokenEndpointAuth implements FhirAuth {
  private cached: CachedToken | undefined;
  private pending: Promise<CachedToken> | undefined;
  private readonly fetch: FetchLike;
  private readonly now: () => number;

  constructor(
    private readonly tokenUrl: () => Promise<string>,
    private readonly request: TokenRequest,
    private readonly options: TokenAuthOptions
  ) {
    this.fetch = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  async authorization(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) {
      return `Bearer ${this.cached.value}`;
    }
    // One request at a time: concurrent jobs share the token being fetched.
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    this.cached = await this.pending;
    return `Bearer ${this.cached.value}`;
  }

  invalidate(): boolean {
    this.cached = undefined;
    return true;
  }

  private async fetchToken(): Promise<CachedToken> {
    const url = await this.tokenUrl();
    const { body, headers } = this.request(url);
    body.set('grant_type', 'client_credentials');
    let response: Response;
    try {
      response = await this.fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
        body: body.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      });
    } catch (err: unknown) {
      throw new UpstreamError('token endpoint unreachable', { cause: err });
    }
    const json = await readJson(response);
    if (!response.ok) {
      const code = typeof json?.error === 'string' && /^[a-z_]{1,40}$/.test(json.error) ? ` (${json.error})` : '';
      if (response.status === 429 || response.status >= 500) {
        throw new UpstreamError(`token endpoint answered ${response.status}${code}`);
      }
      throw new UpstreamRejectedError(`token endpoint refused the client with ${response.status}${code}`, response.status);
    }
    if (typeof json?.access_token !== 'string' || json.access_token.length === 0) {
      throw new UpstreamRejectedError('token endpoint answered without an access_token', response.status);
    }
    const lifetimeS = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_TOKEN_LIFETIME_S;
    const margin = Math.min(TOKEN_REFRESH_MARGIN_MS, (lifetimeS * 1000) / 2);
    return { value: json.access_token, refreshAt: this.now() + lifetimeS * 1000 - margin };
  }
}

interface TokenResponse {
  readonly access_token?: unknown;
  readonly expires_in?: unknown;
  readonly error?: unknown;
  readonly token_endpoint?: unknown;
}

async function readJson(response: Response): Promise<TokenResponse | undefined> {
  try {
    return (await response.json()) as TokenResponse;
  } catch (err: unknown) {
    void err; // not JSON: the status alone says what happened
    return undefined;
  }
}

/**
 * OAuth2 client credentials with client_secret_basic (RFC 6749 §2.3.1: id and secret form-encoded, then Basic).
 * @param config - client id, secret, token URL and optional scope.
 * @param options - fetch, timeout, clock.
 * @returns the auth.
 */
export function clientCredentialsAuth(
  config: Extract<FhirAuthConfig, { kind: 'client-credentials' }>,
  options: TokenAuthOptions
): FhirAuth {
  const basic = Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`).toString('base64');
  return new TokenEndpointAuth(
    async () => config.tokenUrl,
    () => ({
      body: new URLSearchParams(config.scope ? { scope: config.scope } : {}),
      headers: { Authorization: `Basic ${basic}` },
    }),
    options
  );
}

/** A private key and the JWS algorithm it signs with. */
export interface SigningKey {
  readonly key: KeyObject;
  readonly alg: 'RS384' | 'ES384';
}

/**
 * Reads a PEM private key for SMART Backend Services: RSA signs RS384, EC on P-384 signs ES384 (the two
 * algorithms SMART requires servers to support).
 * @param pem - the PEM text.
 * @returns the key and its algorithm.
 * @throws ConfigError naming FHIR_PRIVATE_KEY for anything else.
 */
export function toSigningKey(pem: string | Buffer): SigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err: unknown) {
    void err; // the parser's message may quote the key
    throw new ConfigError('FHIR_PRIVATE_KEY: not a PEM private key');
  }
  if (key.asymmetricKeyType === 'rsa') return { key, alg: 'RS384' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1') return { key, alg: 'ES384' };
  throw new ConfigError('FHIR_PRIVATE_KEY: must be an RSA key (RS384) or an EC P-384 key (ES384)');
}

/**
 * Builds a signed client assertion (compact JWS).
 * @param signing - the key.
 * @param keyId - `kid`, as registered with the server (FHIR_KEY_ID).
 * @param clientId - `iss` and `sub`.
 * @param audience - the token endpoint URL (`aud`).
 * @param nowMs - the current time.
 * @returns the JWT.
 */
export function buildClientAssertion(signing: SigningKey, keyId: string, clientId: string, audience: string, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const header = { alg: signing.alg, kid: keyId, typ: 'JWT' };
  const claims = { iss: clientId, sub: clientId, aud: audience, exp: now + CLIENT_ASSERTION_LIFETIME_S, iat: now, jti: randomUUID() };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha384', Buffer.from(input), signing.alg === 'ES384' ? { key: signing.key, dsaEncoding: 'ieee-p1363' } : signing.key);
  return `${input}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * SMART Backend Services: a JWT signed with our private key stands in for a client secret. Without FHIR_TOKEN_URL
 * the token endpoint is read once from the server's `.well-known/smart-configuration`.
 * @param config - client id, key id, scope, token URL.
 * @param signing - the private key.
 * @param fhirBaseUrl - the FHIR base (for discovery).
 * @param options - fetch, timeout, clock.
 * @returns the auth.
 */
export function smartBackendAuth(
  config: Extract<FhirAuthConfig, { kind: 'smart-backend' }>,
  signing: SigningKey,
  fhirBaseUrl: string,
  options: TokenAuthOptions
): FhirAuth {
  const now = options.now ?? Date.now;
  let discovered: Promise<string> | undefined;
  const tokenUrl = (): Promise<string> => {
    if (config.tokenUrl) return Promise.resolve(config.tokenUrl);
    discovered ??= discoverTokenEndpoint(fhirBaseUrl, options).catch((err: unknown) => {
      discovered = undefined;
      throw err;
    });
    return discovered;
  };
  return new TokenEndpointAuth(
    tokenUrl,
    (url) => ({
      body: new URLSearchParams({
        scope: config.scope,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: buildClientAssertion(signing, config.keyId, config.clientId, url, now()),
      }),
      headers: {},
    }),
    options
  );
}

async function discoverTokenEndpoint(fhirBaseUrl: string, options: TokenAuthOptions): Promise<string> {
  const url = new URL('.well-known/smart-configuration', fhirBaseUrl.endsWith('/') ? fhirBaseUrl : `${fhirBaseUrl}/`).toString();
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'error',
    });
  } catch (err: unknown) {
    throw new UpstreamError('smart-configuration unreachable', { cause: err });
  }
  const json = await readJson(response);
  if (!response.ok || typeof json?.token_endpoint !== 'string' || !URL.canParse(json.token_endpoint)) {
    if (response.status === 429 || response.status >= 500) throw new UpstreamError(`smart-configuration answered ${response.status}`);
    throw new UpstreamRejectedError('smart-configuration has no token_endpoint; set FHIR_TOKEN_URL', response.status);
  }
  return json.token_endpoint;
}

/**
 * Builds the auth a configuration asks for (reads the private key file for SMART Backend Services).
 * @param config - the FHIR_* authentication settings.
 * @param fhirBaseUrl - the FHIR base.
 * @param options - fetch, timeout, clock.
 * @returns the auth.
 * @throws ConfigError when the key file cannot be read or used.
 */
export async function createFhirAuth(config: FhirAuthConfig, fhirBaseUrl: string, options: TokenAuthOptions): Promise<FhirAuth> {
  switch (config.kind) {
    case 'none':
      return NO_AUTH;
    case 'bearer':
      return staticBearerAuth(config.token);
    case 'client-credentials':
      return clientCredentialsAuth(config, options);
    case 'smart-backend': {
      let pem: Buffer;
      try {
        pem = await readFile(config.privateKeyPath);
      } catch (err: unknown) {
        void err;
        throw new ConfigError('FHIR_PRIVATE_KEY: the key file cannot be read');
      }
      return smartBackendAuth(config, toSigningKey(pem), fhirBaseUrl, options);
    }
  }
}

/**
 * Wraps a fetch so requests to the FHIR server's origin carry the Authorization header; after a 401 the token is
 * dropped and the request is sent once more with a fresh one. Other origins get no credentials.
 * @param auth - the auth.
 * @param origin - the FHIR server's origin.
 * @param inner - the fetch to wrap.
 * @returns the wrapped fetch.
 */
export function createAuthorizedFetch(auth: FhirAuth, origin: string, inner: FetchLike = fetch): FetchLike {
  return async (url, options = {}) => {
    if (!URL.canParse(url) || new URL(url).origin !== origin) {
      return inner(url, options);
    }
    const send = async (): Promise<Response> => {
      const headers = new Headers(options.headers);
      let value: string | undefined;
      try {
        value = await auth.authorization();
      } catch (err: unknown) {
        if (err instanceof AppError) throw err;
        throw new UpstreamError('obtaining a token failed', { cause: err });
      }
      if (value) headers.set('Authorization', value);
      return inner(url, { ...options, headers });
    };
    const response = await send();
    if (response.status !== 401 || !auth.invalidate()) {
      return response;
    }
    await response.body?.cancel();
    return send();
  };
}
