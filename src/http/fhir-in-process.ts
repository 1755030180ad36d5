/**
 * The embedded store reached without a socket: the `fetch` the server's own FHIR client (its workers, polling, the
 * reviewer page) uses when the store lives in the same process. Over loopback HTTP each of a note's requests paid for
 * undici, Express, body parsing, an access-log line and two JSON texts on each side: about an eighth of the server
 * path's CPU. Here a request goes straight to `EmbeddedFhirStore.handle`, the one entry the HTTP route uses too, with
 * the same checks in the same order, and the answer is a `Response` as the route would have sent it.
 *
 * Only a request the HTTP route would pass to the store is handled here: a base-URL request with GET, POST, PUT,
 * PATCH or DELETE, authorised as `requireApiToken` would, with no body or a FHIR JSON text within the size and depth
 * limits whose shape `assertBodyShape` accepts. Anything else — another URL, a form search, a body the route would
 * refuse, a wrong token — goes over HTTP to the route itself, so every refusal is the route's own answer, word for
 * word. Bodies cross as JSON text both ways, so the client and the store never share an object. A request whose
 * signal aborts is rejected with the signal's reason, as `fetch` does; the store finishes what it started, as it
 * would for an HTTP client that went away.
 */
import type { EmbeddedFhirStore, StoreRequest, StoreResponse } from '../embedded/embedded-store.js';
import type { FetchLike } from '../fhir/fhir-http.js';
import type { Logger } from '../observability/logger.js';
import { isAuthorized } from './api-token.js';
import { assertJsonDepth, requestBodyLimitBytes } from './body-limits.js';
import { logRequestFailure, toHttpOutcome, toLoggablePath } from './error-handler.js';
import { assertBodyShape, FHIR_JSON_TYPES, toStorePath } from './fhir.routes.js';

/** What the in-process client needs to answer as the HTTP route would. */
export interface InProcessFhirOptions {
  readonly store: EmbeddedFhirStore;
  /** The store's base URL as the HTTP route serves it (`http://127.0.0.1:$PORT/fhir/R4/`). */
  readonly baseUrl: string;
  /** API_TOKEN, checked as the route checks it. */
  readonly apiToken: string | undefined;
  /** MAX_DOCUMENT_BYTES (the route's body limit derives from it). */
  readonly maxDocumentBytes: number;
  /** Where failures are logged, as the route's error handler logs them. */
  readonly log: Logger;
  /** Everything not handled here (default: the global `fetch`). */
  readonly http?: FetchLike;
}

const HANDLED_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** Statuses whose response has no body. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/**
 * Builds the fetch.
 * @param options - the store, its base URL and the route's settings.
 * @returns a fetch that answers the store's requests in process and passes everything else to `options.http`.
 */
export function createInProcessFhirFetch(options: InProcessFhirOptions): FetchLike {
  const base = options.baseUrl.replace(/\/+$/, '');
  const bodyLimitBytes = requestBodyLimitBytes(options.maxDocumentBytes);
  const http = options.http ?? fetch;
  return async (url, init) => {
    const request = toStoreRequest(url, init, base, bodyLimitBytes, options.apiToken);
    if (!request) return http(url, init);
    const signal = init?.signal ?? undefined;
    signal?.throwIfAborted();
    const answer = options.store.handle(request).then(toResponse, (err: unknown) => {
      const { status, outcome } = toHttpOutcome(err);
      logRequestFailure(options.log, err, status, toLoggablePath(`/fhir/R4/${request.path}`), undefined);
      return new Response(JSON.stringify(outcome), { status, headers: { 'content-type': FHIR_JSON } });
    });
    return signal ? untilAborted(answer, signal) : answer;
  };
}

/** The store request the HTTP route would make of this fetch, or undefined when the route is to answer it. */
function toStoreRequest(url: string, init: RequestInit | undefined, base: string, bodyLimitBytes: number, apiToken: string | undefined): StoreRequest | undefined {
  if (!url.startsWith(base) || !['/', '?', ''].includes(url.charAt(base.length))) return undefined;
  const method = (init?.method ?? 'GET').toUpperCase();
  if (!HANDLED_METHODS.has(method)) return undefined;
  const rest = url.slice(base.length).split('#')[0];
  const queryAt = rest.indexOf('?');
  const path = toStorePath(queryAt >= 0 ? rest.slice(0, queryAt) : rest);
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, key) => {
    headers[key] = value;
  });
  if (!isAuthorized(method, `/${path}`, headers.authorization, apiToken)) return undefined;
  if (headers['content-encoding'] !== undefined) return undefined; // the route's parser inflates or refuses it
  const body = parseBody(init?.body, headers['content-type'], bodyLimitBytes);
  if (body === REFUSED) return undefined;
  try {
    assertBodyShape(method, path, body);
  } catch (err: unknown) {
    void err; // the route refuses it with its own answer
    return undefined;
  }
  return { method, path, query: new URLSearchParams(queryAt >= 0 ? rest.slice(queryAt + 1) : ''), body, headers, baseUrl: base };
}

const REFUSED = Symbol('refused');

/** The body as the route's JSON parser would give it; REFUSED for anything the route should see itself. */
function parseBody(body: RequestInit['body'], contentType: string | undefined, limitBytes: number): unknown {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'string' || body.length === 0) return REFUSED;
  const [type, ...parameters] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  if (!FHIR_JSON_TYPES.includes(type)) return REFUSED;
  // The route's parser reads UTF-8 only (a fetch sends a string as UTF-8 whatever the header says): it refuses the rest.
  if (parameters.some((p) => p.startsWith('charset=') && p.replace(/^charset=\s*"?|"$/g, '') !== 'utf-8')) return REFUSED;
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length > limitBytes) return REFUSED;
  try {
    assertJsonDepth(bytes);
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? parsed : REFUSED; // the route parses strictly
  } catch (err: unknown) {
    void err;
    return REFUSED;
  }
}

function toResponse(response: StoreResponse): Response {
  const headers = { ...response.headers, 'content-type': FHIR_JSON };
  return new Response(NULL_BODY_STATUSES.has(response.status) ? null : JSON.stringify(response.body), { status: response.status, headers });
}

function untilAborted(answer: Promise<Response>, signal: AbortSignal): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
