/**
 * Every entry of a write-back transaction or none: a server that runs `transaction` entry by entry (Medplum without
 * the `transaction-bundles` project feature) answers `200` with error entries for what it refused and keeps the
 * rest. Then the committed entries are undone — created resources deleted, updated ones put back as they were
 * (guarded by `If-Match` on the version the server just gave them) — and the run fails with the refused entries
 * named, so a note never ends half-written and its Provenance never points at a resource that does not exist.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { PartialWriteError } from '../errors.js';
import { isTransientStatus, readTransactionOutcome, type CommittedEntry } from '../fhir/transaction-outcome.js';
import type { FhirGateway } from '../fhir/gateway.js';
import type { Logger } from '../observability/logger.js';

/**
 * Checks each entry's status; on any refusal undoes what was committed and throws.
 * @param request - the transaction sent.
 * @param response - the server's answer.
 * @param before - the resources as they were before (for putting updated ones back).
 * @param deps - the gateway and the logger.
 * @throws PartialWriteError naming the refused entries (type, index, status).
 */
export async function assertWholeTransaction(
  request: Bundle,
  response: Bundle,
  before: readonly Resource[],
  deps: { readonly fhir: FhirGateway; readonly log: Logger }
): Promise<void> {
  if (!response.entry || response.entry.length === 0) {
    // No per-entry answer at all (not valid FHIR; some proxies strip it): the HTTP status said success.
    deps.log.warn('transaction answer without entries, entry statuses not checked');
    return;
  }
  const outcome = readTransactionOutcome(request, response);
  if (outcome.refused.length === 0) return;
  const previous = new Map(before.map((r) => [`${r.resourceType}/${r.id}`, r]));
  let undone = true;
  // Newest first: the Provenance (last entry) goes before the findings it points at.
  for (const entry of [...outcome.committed].reverse()) {
    try {
      undone = (await undo(entry, previous, deps.fhir)) && undone;
    } catch (err: unknown) {
      undone = false;
      deps.log.error({ err, entry: entry.index, resourceType: entry.resourceType }, 'undoing a committed entry failed');
    }
  }
  const retryable = outcome.refused.every((r) => isTransientStatus(r.status));
  deps.log.error(
    { refused: outcome.refused, committed: outcome.committed.length, undone },
    'transaction partly refused by the server'
  );
  throw new PartialWriteError(outcome.refused, undone, retryable);
}

async function undo(entry: CommittedEntry, previous: ReadonlyMap<string, Resource>, fhir: FhirGateway): Promise<boolean> {
  if (!entry.id) return false;
  if (entry.method === 'POST') {
    if (!fhir.deleteResource) return false;
    await fhir.deleteResource(entry.resourceType, entry.id);
    return true;
  }
  if (entry.method === 'PUT') {
    const old = previous.get(`${entry.resourceType}/${entry.id}`);
    if (!old || !entry.versionId) return false;
    const { versionId: _v, lastUpdated: _l, ...meta } = old.meta ?? {};
    await fhir.updateResource({ ...old, id: entry.id, meta }, entry.versionId);
    return true;
  }
  return false;
}
