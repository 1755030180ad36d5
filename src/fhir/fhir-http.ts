/**
 * The `fetch` the FHIR client uses: a timeout on every request, the deadline of the job step it runs in, a circuit
 * breaker on the server, and HTTP errors turned into typed errors that keep the real status (MedplumClient alone
 * folds every failure into an OperationOutcome and loses it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { AppError, CircuitOpenError, UpstreamError } from '../errors.js';

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

/** Consecutive timeouts, network failures or 502/503/504 before the circuit opens. */
export const CIRCUIT_FAILURE_THRESHOLD = 5;
/** How long an open circuit refuses requests before one probe is let through. */
export const CIRCUIT_OPEN_MS = 30_000;

/** State of the breaker, for `/readyz`. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * A circuit breaker on one FHIR server. After `threshold` consecutive failures (timeouts, unreachable, 502/503/504)
 * it opens: requests fail at once with CircuitOpenError (jobs are delayed, not failed) until `openMs` has passed;
 * then requests go through again and the first answer closes it (or a failure opens it again).
 */
export class FhirCircuit {
  private failures = 0;
  private openUntil = 0;

  constructor(
    private readonly threshold = CIRCUIT_FAILURE_THRESHOLD,
    private readonly openMs = CIRCUIT_OPEN_MS,
    private readonly now: () => number = Date.now
  ) {}

  /** Current state. */
  get state(): CircuitState {
    if (this.failures < this.threshold) return 'closed';
    return this.now() < this.openUntil ? 'open' : 'half-open';
  }

  /** When an open circuit lets requests through again (ms since epoch); undefined unless open. */
  retryAt(): number | undefined {
    return this.state === 'open' ? this.openUntil : undefined;
  }

  /** Throws CircuitOpenError while open. */
  assertClosed(): void {
    if (this.state === 'open') throw new CircuitOpenError(this.openUntil);
  }

  /** The server answered (any HTTP status but 502/503/504). */
  succeeded(): void {
    this.failures = 0;
    this.openUntil = 0;
  }

  /** A timeout, a network failure or 502/503/504. */
  failed(): void {
    this.failures++;
    if (this.failures >= this.threshold) this.openUntil = this.now() + this.openMs;
  }
}

const stepDeadline = new AsyncLocalStorage<{ readonly signal: AbortSignal; readonly ms: number }>();

/**
 * Runs `fn` with one deadline for every FHIR request it makes (a job step: read, write, audit): the step as a whole
 * gets `ms`, not each of its requests.
 * @param ms - the step's budget.
 * @param fn - the step.
 * @returns what `fn` returns.
 */
export function withFhirDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  return stepDeadline.run({ signal: AbortSignal.timeout(ms), ms }, fn);
}

/**
 * Wraps a fetch with a timeout, the step deadline, the circuit breaker and typed errors.
 * @param timeoutMs - per-request timeout.
 * @param inner - the underlying fetch (global fetch by default).
 * @param circuit - the server's circuit breaker (none: never opens).
 * @returns a fetch that throws UpstreamError on network failure or timeout, CircuitOpenError while the circuit is
 *   open, and FhirHttpError on status >= 400.
 */
export function createFhirFetch(timeoutMs: number, inner: FetchLike = fetch, circuit?: FhirCircuit): FetchLike {
  return async (url, options) => {
    circuit?.assertClosed();
    const step = stepDeadline.getStore();
    if (step?.signal.aborted) throw new UpstreamError(`FHIR step deadline of ${step.ms} ms passed`);
    const signals = [AbortSignal.timeout(timeoutMs), ...(step ? [step.signal] : []), ...(options?.signal ? [options.signal] : [])];
    let response: Response;
    try {
      response = await inner(url, { ...options, signal: AbortSignal.any(signals) });
    } catch (err: unknown) {
      if (err instanceof AppError) throw err; // already classified (e.g. the token endpoint refused us)
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      circuit?.failed();
      throw new UpstreamError(
        timedOut ? `FHIR request timed out after ${step?.signal.aborted ? `the step deadline of ${step.ms}` : timeoutMs} ms` : 'FHIR server unreachable',
        { cause: err }
      );
    }
    if (response.status === 502 || response.status === 503 || response.status === 504) circuit?.failed();
    else circuit?.succeeded();
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
