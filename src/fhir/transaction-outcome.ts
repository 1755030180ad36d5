/**
 * Reads a `transaction-response` entry by entry. A server that runs `transaction` Bundles atomically answers all
 * 2xx or an HTTP error; one that runs them entry by entry (Medplum without the `transaction-bundles` project
 * feature: each entry commits on its own, a refused entry comes back as an error entry with its OperationOutcome
 * inside a `200`) can commit part of a Bundle. Pure.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { RefusedEntry } from '../errors.js';

/** An entry the server committed, and how to undo it. */
export interface CommittedEntry {
  readonly index: number;
  readonly method: 'POST' | 'PUT' | 'DELETE' | 'OTHER';
  readonly resourceType: string;
  /** Id and version the server gave (from `location`, `etag` or the returned resource). */
  readonly id: string | undefined;
  readonly versionId: string | undefined;
}

/** What the server did with each entry. */
export interface TransactionOutcome {
  readonly committed: readonly CommittedEntry[];
  readonly refused: readonly RefusedEntry[];
}

/**
 * Classifies each entry of the answer by its `response.status`.
 * @param request - the transaction Bundle sent.
 * @param response - the server's answer.
 * @returns committed and refused entries (an entry the answer leaves out counts as refused, status 0).
 */
export function readTransactionOutcome(request: Bundle, response: Bundle): TransactionOutcome {
  const sent = request.entry ?? [];
  const answered = response.entry ?? [];
  const committed: CommittedEntry[] = [];
  const refused: RefusedEntry[] = [];
  sent.forEach((entry, index) => {
    const resourceType = entry.resource?.resourceType ?? entry.request?.url?.split(/[/?]/)[0] ?? 'unknown';
    const answer = answered[index];
    const status = parseStatus(answer?.response?.status);
    if (status < 200 || status >= 300) {
      refused.push({ index, resourceType, status });
      return;
    }
    const located = parseLocation(answer?.response?.location);
    const returned = answer?.resource as Resource | undefined;
    const method = entry.request?.method;
    committed.push({
      index,
      method: method === 'POST' || method === 'PUT' || method === 'DELETE' ? method : 'OTHER',
      resourceType,
      id: located?.id ?? returned?.id ?? idFromUrl(entry.request?.url),
      versionId: located?.versionId ?? returned?.meta?.versionId ?? parseEtag(answer?.response?.etag),
    });
  });
  return { committed, refused };
}

/**
 * Whether a refusal is worth retrying (the same entry can succeed later: throttling, a conflict, a server error).
 * @param status - the entry's status.
 * @returns true for 0 (no answer), 408, 409, 412, 425, 429 and 5xx.
 */
export function isTransientStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 409 || status === 412 || status === 425 || status === 429 || status >= 500;
}

/** `"201 Created"`, `"201"` → 201; missing or unreadable → 0. */
function parseStatus(status: string | undefined): number {
  const match = status ? /^\s*(\d{3})/.exec(status) : null;
  return match ? Number(match[1]) : 0;
}

function parseLocation(location: string | undefined): { id: string; versionId: string | undefined } | undefined {
  if (!location) return undefined;
  const path = location.replace(/^[a-z]+:\/\/[^/]+/i, '').split('?')[0];
  const match = /([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?\/?$/.exec(path);
  return match ? { id: match[2], versionId: match[3] } : undefined;
}

function parseEtag(etag: string | undefined): string | undefined {
  return etag ? /^(?:W\/)?"?([^"]+)"?$/.exec(etag)?.[1] : undefined;
}

function idFromUrl(url: string | undefined): string | undefined {
  const match = url ? /^[A-Za-z]+\/([A-Za-z0-9\-.]{1,64})$/.exec(url) : null;
  return match?.[1];
}
