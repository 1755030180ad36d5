/**
 * Several reads in one round trip: a FHIR `batch` Bundle of GET entries (RESTful API, "batch/transaction"). Only an
 * optimisation: every entry the server does not answer plainly — a status other than 200, a search page that is not
 * the whole answer, an entry of another shape — is read again on its own, with the single read's classification, so
 * the results are exactly what one request per read would give. A server that refuses batches (a 4xx on the Bundle
 * itself) gets one request per read from then on.
 */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';

/** One read: a resource by id, or every match of a search. */
export type FhirRead =
  | { readonly kind: 'read'; readonly resourceType: string; readonly id: string }
  | { readonly kind: 'search'; readonly resourceType: string; readonly params: readonly (readonly [string, string])[] };

/** What a read gives: a `read` the resource (or its absence), a `search` every match. */
export type FhirReadResult =
  | { readonly kind: 'read'; readonly state: 'found'; readonly resource: Resource & { id: string } }
  | { readonly kind: 'read'; readonly state: 'deleted' | 'missing' }
  | { readonly kind: 'search'; readonly resources: readonly Resource[] };

/**
 * The GET entry of a read.
 * @param read - the read.
 * @param pageSize - `_count` of searches (as the single search asks for).
 * @returns the entry's request URL, relative to the base.
 */
export function toBatchUrl(read: FhirRead, pageSize: number): string {
  if (read.kind === 'read') return `${read.resourceType}/${encodeURIComponent(read.id)}`;
  const query = new URLSearchParams(read.params.map(([k, v]): [string, string] => [k, v]));
  query.set('_count', String(pageSize));
  return `${read.resourceType}?${query.toString()}`;
}

/**
 * Builds the batch Bundle.
 * @param reads - the reads, in order.
 * @param pageSize - `_count` of searches.
 * @returns the Bundle.
 */
export function buildReadBatch(reads: readonly FhirRead[], pageSize: number): Bundle {
  return { resourceType: 'Bundle', type: 'batch', entry: reads.map((r) => ({ request: { method: 'GET', url: toBatchUrl(r, pageSize) } })) };
}

/**
 * Reads one answer entry; `undefined` when it must be read again on its own.
 * @param read - the read the entry answers.
 * @param entry - the batch-response entry in the same position.
 * @param pageSize - `_count` the search asked for.
 * @returns the result, or undefined.
 */
export function toReadResult(read: FhirRead, entry: BundleEntry | undefined, pageSize: number): FhirReadResult | undefined {
  if (!entry || !/^200(\s|$)/.test(entry.response?.status ?? '')) return undefined;
  const resource = entry.resource;
  if (read.kind === 'read') {
    if (resource?.resourceType !== read.resourceType || resource.id !== read.id) return undefined;
    return { kind: 'read', state: 'found', resource: resource as Resource & { id: string } };
  }
  if (resource?.resourceType !== 'Bundle' || resource.type !== 'searchset') return undefined;
  const matches = (resource.entry ?? []).filter((e) => e.search?.mode !== 'include');
  // Another page (or a total the page does not reach) means more matches than one page: the single search pages.
  if (resource.link?.some((l) => l.relation === 'next')) return undefined;
  if (resource.total !== undefined ? matches.length < resource.total : matches.length >= pageSize) return undefined;
  const resources = matches.flatMap((e) => (e.resource?.resourceType === read.resourceType ? [e.resource] : []));
  return { kind: 'search', resources };
}
