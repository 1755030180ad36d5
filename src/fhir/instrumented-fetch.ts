/**
 * The FHIR client's innermost fetch, observed: each request to the FHIR server (a token refresh's retry included)
 * counts in `chartmine_fhir_requests_total{method,status}`, is timed (by method, and by FHIR interaction in
 * `chartmine_fhir_interaction_seconds{interaction}`), runs in a `fhir.*` span and carries the W3C
 * `traceparent` header. Labels and attributes hold the method, status and resource type, never the URL (search
 * parameters can carry names or identifiers).
 */
import type { Metrics } from '../observability/metrics.js';
import { toMethodLabel } from '../observability/metrics.js';
import { currentTraceparent, inSpan, toFhirSpanName } from '../observability/tracing.js';
import type { FetchLike } from './fhir-http.js';
import { toFhirInteractionOfUrl } from './interaction.js';

/**
 * Wraps a fetch.
 * @param baseUrl - the FHIR base (to name transactions and resource types).
 * @param metrics - where requests are counted (none: spans only).
 * @param inner - the fetch to wrap.
 * @returns the observed fetch.
 */
export function createInstrumentedFetch(baseUrl: string, metrics: Metrics | undefined, inner: FetchLike = fetch): FetchLike {
  return (url, options) => {
    const method = toMethodLabel(options?.method);
    const attributes = { 'http.request.method': method, 'fhir.resource_type': resourceType(url, baseUrl) };
    return inSpan(toFhirSpanName(method, url, baseUrl), attributes, async (span) => {
      const traceparent = currentTraceparent();
      const headers = new Headers(options?.headers);
      if (traceparent) headers.set('traceparent', traceparent);
      const started = performance.now();
      let status = 'error';
      try {
        const response = await inner(url, { ...options, headers });
        status = String(response.status);
        span.setAttribute('http.response.status_code', response.status);
        return response;
      } finally {
        metrics?.fhirRequests.inc({ method, status });
        const seconds = (performance.now() - started) / 1000;
        metrics?.fhirRequestDuration.observe({ method }, seconds);
        metrics?.fhirInteraction.observe({ interaction: toFhirInteractionOfUrl(method, url, baseUrl, options?.body) }, seconds);
      }
    });
  };
}

/** The resource type a URL addresses (first path segment after the base), or `''` for the base itself. */
function resourceType(url: string, baseUrl: string): string {
  if (!url.startsWith(baseUrl.replace(/\/+$/, ''))) return 'other';
  const rest = url.slice(baseUrl.replace(/\/+$/, '').length).replace(/^\/+/, '');
  const first = rest.split(/[/?#]/)[0] ?? '';
  return /^[A-Z][A-Za-z]{1,63}$/.test(first) || first === '' ? first : 'other';
}
