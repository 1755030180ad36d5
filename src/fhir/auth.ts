/**
 * Authentication towards an external FHIR server: none, a static bearer token, OAuth2 client credentials
 * (RFC 6749 §4.4, client_secret_basic) or SMART Backend Services (a private-key JWT client assertion, RFC 7523,
 * as the SMART App Launch "Backend Services" profile specifies). Tokens are cached and fetched again shortly
 * before they expire, or at once after the server answers 401. The Authorization header is only ever sent to the
 * FHIR server's own origin, never to an attachment host from FETCH_ALLOWLIST.
 */
import { readFile } from 'node:fs/promises';
import type { FhirAuthConfig } from '../config/config.js';
import { AppError, ConfigError, UpstreamError } from '../errors.js';
import type { FetchLike } from './fhir-http.js';
import { smartBackendAuth, toSigningKey } from './smart-backend-auth.js';
import { TokenEndpointAuth, type FhirAuth, type TokenAuthOptions } from './token-auth.js';

export type { FhirAuth, TokenAuthOptions } from './token-auth.js';
export { buildClientAssertion, smartBackendAuth, toSigningKey, type SigningKey } from './smart-backend-auth.js';
export { DEFAULT_TOKEN_LIFETIME_S, TOKEN_REFRESH_MARGIN_MS } from './token-auth.js';

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
