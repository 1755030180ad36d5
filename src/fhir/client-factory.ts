/**
 * The one place a FHIR client is built. Every path that talks to the FHIR server — the workers, polling and
 * catch-up, `reprocess`, `subscribe`, `check` — calls {@link createFhirClient}, so each applies the same
 * authentication (static token, OAuth2 client credentials, SMART Backend Services; API_TOKEN towards the embedded
 * store), the same per-request timeout (FHIR_TIMEOUT_MS), the same circuit breaker (FHIR_CIRCUIT_THRESHOLD,
 * FHIR_CIRCUIT_OPEN_MS; one per server in a process, shared by its workers, polling and readiness), the job steps'
 * deadline (FHIR_STEP_TIMEOUT_MS, {@link fhirStepDeadline}), the same attachment allowlist and the same retry policy:
 * no silent retries inside a request (`maxRetries: 0`), a 401 answered once with a fresh token, and failures
 * classified as retryable or not for the caller (the queue retries jobs; commands print one line and exit 1).
 */
import type { Config } from '../config/config.js';
import type { StepRunner } from '../jobs/analyze-note.job.js';
import { createFhirAuth, NO_AUTH, staticBearerAuth, type FhirAuth } from './auth.js';
import { FhirCircuit, withFhirDeadline, type FetchLike } from './fhir-http.js';
import { MedplumFhirGateway } from './gateway.js';
import { createInstrumentedFetch } from './instrumented-fetch.js';
import type { Metrics } from '../observability/metrics.js';

/** Where the client points. */
export interface FhirClientTarget {
  /**
   * The FHIR base. Default: FHIR_BASE_URL, else the local server's embedded store (`http://127.0.0.1:$PORT/fhir/R4/`).
   * A base on another origin than the configured server gets no credentials: they belong to that server only.
   */
  readonly baseUrl?: string;
  /** The authentication, when the caller already built it (the server builds it once, before listening). */
  readonly auth?: FhirAuth;
  /**
   * The server's circuit breaker, when the caller shares one (the server's gateway and `/readyz`). Default: a new one
   * from FHIR_CIRCUIT_THRESHOLD and FHIR_CIRCUIT_OPEN_MS.
   */
  readonly circuit?: FhirCircuit;
  /** Where FHIR requests are counted and timed (README "Operations"); none: spans only. */
  readonly metrics?: Metrics;
  /**
   * How requests reach the server (default: `fetch`). The server passes the embedded store's in-process fetch
   * (`http/fhir-in-process.ts`) here; timeouts, deadlines, the circuit, auth and metrics wrap it all the same.
   */
  readonly transport?: FetchLike;
}

/**
 * A circuit breaker on the configured FHIR server.
 * @param config - the configuration (FHIR_CIRCUIT_THRESHOLD, FHIR_CIRCUIT_OPEN_MS).
 * @returns a closed circuit.
 */
export function createFhirCircuit(config: Config): FhirCircuit {
  return new FhirCircuit(config.fhirCircuit.threshold, config.fhirCircuit.openMs);
}

/**
 * The deadline of each job step (read, write, audit): all its FHIR requests together get FHIR_STEP_TIMEOUT_MS.
 * @param config - the configuration.
 * @returns the step runner the analyze-note job uses.
 */
export function fhirStepDeadline(config: Config): StepRunner {
  return (_step, fn) => withFhirDeadline(config.fhirStepTimeoutMs, fn);
}

/**
 * The configured FHIR server's base URL.
 * @param config - the configuration.
 * @returns FHIR_BASE_URL, or the local embedded store's base.
 */
export function configuredFhirBaseUrl(config: Config): string {
  return config.fhir.kind === 'external' ? config.fhir.baseUrl : `http://127.0.0.1:${config.port}/fhir/R4/`;
}

/**
 * The authentication the configuration asks for towards `baseUrl`.
 * @param config - the configuration (FHIR_* credentials, API_TOKEN).
 * @param baseUrl - the FHIR base the requests go to.
 * @returns the auth; none when `baseUrl` is not the configured server.
 * @throws ConfigError when a SMART key file cannot be read.
 */
export async function createConfiguredAuth(config: Config, baseUrl: string): Promise<FhirAuth> {
  if (config.fhir.kind === 'external') {
    if (new URL(baseUrl).origin !== new URL(config.fhir.baseUrl).origin) return NO_AUTH;
    return createFhirAuth(config.fhirAuth, config.fhir.baseUrl, { timeoutMs: config.fhir.timeoutMs });
  }
  // The embedded store: the in-process worker and local commands present API_TOKEN like any client; a separate
  // `chartmine worker` process has FHIR_BASE_URL set and so takes the branch above (FHIR_TOKEN = API_TOKEN).
  return config.apiToken ? staticBearerAuth(config.apiToken) : NO_AUTH;
}

/**
 * Builds the FHIR client (gateway) every command and worker uses.
 * @param config - the configuration.
 * @param target - base URL, prebuilt auth and a shared circuit, all optional.
 * @returns the gateway.
 */
export async function createFhirClient(config: Config, target: FhirClientTarget = {}): Promise<MedplumFhirGateway> {
  const baseUrl = target.baseUrl ?? configuredFhirBaseUrl(config);
  const auth = target.auth ?? (await createConfiguredAuth(config, baseUrl));
  const circuit = target.circuit ?? createFhirCircuit(config);
  const fetch = createInstrumentedFetch(baseUrl, target.metrics, target.transport);
  return new MedplumFhirGateway({ baseUrl, timeoutMs: config.fhir.timeoutMs, auth, fetchAllowlist: config.fetchAllowlist, circuit, fetch });
}
