/**
 * SMART Backend Services (SMART App Launch, "Backend Services"): a JWT client assertion (RFC 7523) signed with our
 * private key stands in for a client secret. RS384 for RSA keys, ES384 for EC P-384 keys.
 */
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { FhirAuthConfig } from '../config/config.js';
import { ConfigError, UpstreamError, UpstreamRejectedError } from '../errors.js';
import { readJson, TokenEndpointAuth, type FhirAuth, type TokenAuthOptions } from './token-auth.js';

/** SMART Backend Services: the assertion's `exp` must be at most five minutes ahead; stay under it. */
export const CLIENT_ASSERTION_LIFETIME_S = 240;
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

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
