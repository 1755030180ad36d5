/**
 * The `fetch` the FHIR client uses: a timeout on every request, and HTTP errors turned into typed errors that keep
 * the real status (MedplumClient alone folds every failure into an OperationOutcome and loses it).
 */
import type { OperationOutcome } from '@medplum/fhirtypes';
import { AppError, UpstreamError } from '../errors.js';

/** A FHIR server answered with an HTTP error status. `outcome` is its OperationOutcome when it sent one. */
export class FhirHttpError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome | undefined
  ) {
    super(`FHIR server answered ${status}`);
    this.name = 'FhirHttpError';
  }
}

/** The fetch signature MedplumClient accepts. */
export type FetchLike = (url: string, options?: RequestInit) => Promise<Response>;

/**
 * Wraps a fetch with a timeout and typed errors.
 * @param timeoutMs - per-request timeout.
 * @param inner - the underlying fetch (global fetch by default).
 * @returns a fetch that throws UpstreamError on network failure or timeout and FhirHttpError on status >= 400.
 */
export function createFhirFetch(timeoutMs: number, inner: FetchLike = fetch): FetchLike {
  return async (url, options) => {
    let response: Response;
    try {
      response = await inner(url, { ...options, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err: unknown) {
      if (err instanceof AppError) throw err; // already classified (e.g. the token endpoint refused us)
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new UpstreamError(timedOut ? `FHIR request timed out after ${timeoutMs} ms` : 'FHIR server unreachable', {
        cause: err,
      });
    }
    if (response.status >= 400) {
      throw new FhirHttpError(response.status, await readOutcome(response));
    }
    return response;
  };
}

async function readOutcome(response: Response): Promise<OperationOutcome | undefined> {
  try {
    const body = (await response.json()) as { resourceType?: string };
    return body?.resourceType === 'OperationOutcome' ? (body as OperationOutcome) : undefined;
  } catch (err: unknown) {
    // Not JSON (an HTML error page from a proxy, say): the status alone classifies the failure.
    void err;
    return undefined;
  }
}
