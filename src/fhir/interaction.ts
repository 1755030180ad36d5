/**
 * Names the FHIR interaction a request is (RESTful API: read, vread, search, history, create, update, patch, delete,
 * transaction or batch, capabilities), from its method and its path below the FHIR base. A bounded set, so it can be
 * a metric label; the path's ids and search parameters never leave this function.
 */

/** The interactions a request can be; `other` for anything outside the FHIR base or not recognised. */
export const FHIR_INTERACTIONS = [
  'read',
  'vread',
  'search',
  'history',
  'create',
  'update',
  'patch',
  'delete',
  'transaction',
  'batch',
  'capabilities',
  'other',
] as const;

/** One of {@link FHIR_INTERACTIONS}. */
export type FhirInteraction = (typeof FHIR_INTERACTIONS)[number];

const TYPE = '[A-Z][A-Za-z]{1,63}';
const ID = '[A-Za-z0-9\\-.]{1,64}';
const READ = new RegExp(`^${TYPE}/${ID}$`);
const VREAD = new RegExp(`^${TYPE}/${ID}/_history/${ID}$`);
const HISTORY = new RegExp(`^(?:${TYPE}(?:/${ID})?/)?_history$`);
const SEARCH = new RegExp(`^${TYPE}(?:/_search)?$`);
const TYPE_ONLY = new RegExp(`^${TYPE}$`);

/**
 * The interaction of one request.
 * @param method - the HTTP method.
 * @param path - the path below the FHIR base, without leading slash or query (`Condition/1`, `` for the base).
 * @param bundleType - for a POST to the base: the Bundle's `type` when known (`batch`); default `transaction`.
 * @returns the interaction.
 */
export function toFhirInteraction(method: string, path: string, bundleType?: string): FhirInteraction {
  const m = method.toUpperCase();
  const p = path.replace(/^\/+|\/+$/g, '');
  if (p === '') return m === 'POST' ? (bundleType === 'batch' ? 'batch' : 'transaction') : m === 'GET' ? 'search' : 'other';
  if (m === 'GET' || m === 'HEAD') {
    if (p === 'metadata') return 'capabilities';
    if (READ.test(p)) return 'read';
    if (VREAD.test(p)) return 'vread';
    if (HISTORY.test(p)) return 'history';
    if (SEARCH.test(p) || p === '_search') return 'search';
    return 'other';
  }
  if (m === 'POST') return SEARCH.test(p) && p.endsWith('/_search') ? 'search' : TYPE_ONLY.test(p) ? 'create' : 'other';
  if (m === 'PUT') return READ.test(p) || TYPE_ONLY.test(p) ? 'update' : 'other';
  if (m === 'PATCH') return READ.test(p) || TYPE_ONLY.test(p) ? 'patch' : 'other';
  if (m === 'DELETE') return READ.test(p) || TYPE_ONLY.test(p) ? 'delete' : 'other';
  return 'other';
}

/**
 * The interaction of a request to a URL under a FHIR base.
 * @param method - the HTTP method.
 * @param url - the absolute URL.
 * @param baseUrl - the FHIR base.
 * @param body - the request body, when it is a string: a POST to the base says whether it is a `batch`.
 * @returns the interaction (`other` for URLs outside the base: attachments on signed storage URLs).
 */
export function toFhirInteractionOfUrl(method: string, url: string, baseUrl: string, body?: unknown): FhirInteraction {
  const base = baseUrl.replace(/\/+$/, '');
  if (!url.startsWith(base)) return 'other';
  const rest = url.slice(base.length);
  if (rest !== '' && !/^[/?#]/.test(rest)) return 'other';
  const path = rest.split(/[?#]/)[0] ?? '';
  return toFhirInteraction(method, path, typeof body === 'string' ? bundleTypeOf(body) : undefined);
}

/** The `type` of a Bundle serialised as JSON, read from its start (MedplumClient writes `resourceType`, then `type`). */
function bundleTypeOf(body: string): string | undefined {
  return /^\{\s*"resourceType"\s*:\s*"Bundle"\s*,\s*"type"\s*:\s*"([a-z-]{1,32})"/.exec(body.slice(0, 120))?.[1];
}
