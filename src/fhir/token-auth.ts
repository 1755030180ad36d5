/**
 * Tokens from an OAuth2 token endpoint (`grant_type=client_credentials`), cached until shortly before they expire
 * and shared by concurrent callers. The client authentication (a secret, or a signed assertion) is supplied by the
 * caller. Token endpoint answers are classified: refusals are not retryable, outages are.
 */
import { UpstreamError, UpstreamRejectedError } from '../errors.js';
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

/** What a token endpoint needs, beyond `grant_type=client_credentials`. */
export type TokenRequest = (tokenUrl: string) => { readonly body: URLSearchParams; readonly headers: Record<string, string> };

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
export class TokenEndpointAuth implements FhirAuth {
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

export interface TokenResponse {
  readonly access_token?: unknown;
  readonly expires_in?: unknown;
  readonly error?: unknown;
  readonly token_endpoint?: unknown;
}

export async function readJson(response: Response): Promise<TokenResponse | undefined> {
  try {
    return (await response.json()) as TokenResponse;
  } catch (err: unknown) {
    void err; // not JSON: the status alone says what happened
    return undefined;
  }
}
