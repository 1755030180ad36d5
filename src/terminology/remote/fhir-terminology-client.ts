/**
 * Client for an external FHIR terminology server (`TERMINOLOGY_URL`): `CodeSystem/$lookup`,
 * `CodeSystem/$validate-code` and `ConceptMap/$translate`, with results cached through a {@link TerminologyCache}
 * (Redis in production, see `redis-cache.ts`). This is an edge of `terminology/`: it does network I/O through an
 * injected `fetch`. Errors carry the operation and HTTP status only, never request text.
 */
import { createHash } from 'node:crypto';
import { UpstreamError, UpstreamRejectedError } from '../../errors.js';
import type { ConceptCoding } from '../types.js';
import type { TerminologyCache } from './terminology-cache.js';

/** Default request timeout. */
export const TERMINOLOGY_TIMEOUT_MS = 10_000;
/** Default cache lifetime of an answer: terminology releases change monthly at most. */
export const TERMINOLOGY_CACHE_TTL_S = 7 * 24 * 3600;
/** Lifetime of a cached "not found": shorter, so a newly loaded release is seen within a day. */
export const TERMINOLOGY_NEGATIVE_TTL_S = 24 * 3600;

/** Options of the client. */
export interface FhirTerminologyClientOptions {
  /** Base URL of the FHIR server, e.g. `https://tx.example.org/fhir/`. */
  readonly baseUrl: string;
  readonly timeoutMs?: number;
  /** Injected for tests; defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Extra headers (e.g. `Authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cache?: TerminologyCache;
  readonly cacheTtlSeconds?: number;
}

/** `$lookup` result. */
export interface LookupResult {
  readonly system: string;
  readonly code: string;
  readonly display: string;
  /** The code system's name and version as the server reports them. */
  readonly name?: string;
  readonly version?: string;
}

/** `$validate-code` result. */
export interface ValidateCodeResult {
  readonly result: boolean;
  readonly display?: string;
  readonly message?: string;
}

/** One `$translate` match. */
export interface TranslateMatch {
  /** R4 `equivalence` or R5 `relationship`. */
  readonly equivalence: string;
  readonly coding: ConceptCoding;
}

interface ParametersParameter {
  readonly name: string;
  readonly valueString?: string;
  readonly valueBoolean?: boolean;
  readonly valueCode?: string;
  readonly valueUri?: string;
  readonly valueCoding?: { readonly system?: string; readonly code?: string; readonly display?: string };
  readonly part?: readonly ParametersParameter[];
}
interface Parameters {
  readonly resourceType: string;
  readonly parameter?: readonly ParametersParameter[];
}

/** Equivalences that make a translation usable as a coding of the same meaning. */
const USABLE_EQUIVALENCES = new Set(['equivalent', 'equal', 'wider', 'subsumes', 'source-is-narrower-than-target', 'relatedto', 'related-to']);

/** A FHIR terminology server client with a cache. */
export class FhirTerminologyClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;

  /** @param options - server, timeout, cache. */
  constructor(private readonly options: FhirTerminologyClientOptions) {
    this.base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    this.doFetch = options.fetch ?? fetch;
  }

  /**
   * `CodeSystem/$lookup`.
   * @param system - code system URI.
   * @param code - the code.
   * @returns the display and system name/version, or undefined when the server does not know the code.
   */
  async lookup(system: string, code: string): Promise<LookupResult | undefined> {
    const p = await this.operation('CodeSystem/$lookup', { system, code });
    if (!p) return undefined;
    const display = stringParam(p, 'display');
    if (display === undefined) return undefined;
    return { system, code, display, name: stringParam(p, 'name'), version: stringParam(p, 'version') };
  }

  /**
   * `CodeSystem/$validate-code`.
   * @param system - code system URI.
   * @param code - the code.
   * @param display - a display to check, optional.
   * @returns the server's verdict; `result: false` when the code is unknown.
   */
  async validateCode(system: string, code: string, display?: string): Promise<ValidateCodeResult> {
    const query: Record<string, string> = { url: system, code };
    if (display !== undefined) query.display = display;
    const p = await this.operation('CodeSystem/$validate-code', query);
    if (!p) return { result: false };
    const result = p.parameter?.find((x) => x.name === 'result')?.valueBoolean === true;
    return { result, display: stringParam(p, 'display'), message: stringParam(p, 'message') };
  }

  /**
   * `ConceptMap/$translate` (e.g. SNOMED CT → ICD-10-CM).
   * @param system - source system.
   * @param code - source code.
   * @param targetSystem - target code system URI.
   * @param conceptMapUrl - a specific ConceptMap canonical, optional.
   * @returns usable matches (equivalent, wider, …), best first as the server lists them.
   */
  async translate(system: string, code: string, targetSystem: string, conceptMapUrl?: string): Promise<TranslateMatch[]> {
    const query: Record<string, string> = { system, code, targetsystem: targetSystem };
    if (conceptMapUrl) query.url = conceptMapUrl;
    const p = await this.operation('ConceptMap/$translate', query);
    if (!p || p.parameter?.find((x) => x.name === 'result')?.valueBoolean !== true) return [];
    const matches: TranslateMatch[] = [];
    for (const m of p.parameter ?? []) {
      if (m.name !== 'match') continue;
      const eq = m.part?.find((x) => x.name === 'equivalence' || x.name === 'relationship')?.valueCode ?? 'equivalent';
      const c = m.part?.find((x) => x.name === 'concept')?.valueCoding;
      if (!c?.code || !USABLE_EQUIVALENCES.has(eq)) continue;
      if (c.system && c.system !== targetSystem) continue;
      matches.push({ equivalence: eq, coding: { system: targetSystem, code: c.code, display: c.display ?? '' } });
    }
    return matches;
  }

  /** Runs a GET operation with caching; undefined when the server answers "not found" (404 or 400/422). */
  private async operation(path: string, query: Record<string, string>): Promise<Parameters | undefined> {
    const url = `${this.base}${path}?${new URLSearchParams(query).toString()}`;
    const key = `${path}:${createHash('sha256').update(url).digest('hex').slice(0, 32)}`;
    const cached = await this.options.cache?.get(key);
    if (cached !== undefined) return cached === '' ? undefined : (JSON.parse(cached) as Parameters);
    const result = await this.fetchParameters(path, url);
    await this.options.cache?.set(
      key,
      result === undefined ? '' : JSON.stringify(result),
      result === undefined ? TERMINOLOGY_NEGATIVE_TTL_S : (this.options.cacheTtlSeconds ?? TERMINOLOGY_CACHE_TTL_S)
    );
    return result;
  }

  private async fetchParameters(path: string, url: string): Promise<Parameters | undefined> {
    let response: Response;
    try {
      response = await this.doFetch(url, {
        headers: { accept: 'application/fhir+json', ...this.options.headers },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? TERMINOLOGY_TIMEOUT_MS),
      });
    } catch (err: unknown) {
      throw new UpstreamError(`terminology server ${path} unreachable`, { cause: err });
    }
    if (response.status === 404 || response.status === 400 || response.status === 422) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status === 429 || response.status === 408 || response.status >= 500) {
      await response.body?.cancel();
      throw new UpstreamError(`terminology server ${path} answered HTTP ${response.status}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new UpstreamRejectedError(`terminology server ${path} answered HTTP ${response.status}`, response.status);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (err: unknown) {
      throw new UpstreamError(`terminology server ${path} answered with invalid JSON`, { cause: err });
    }
    if ((body as { resourceType?: string }).resourceType !== 'Parameters') {
      throw new UpstreamError(`terminology server ${path} answered without a Parameters resource`);
    }
    return body as Parameters;
  }
}

function stringParam(p: Parameters, name: string): string | undefined {
  const x = p.parameter?.find((q) => q.name === name);
  return x?.valueString ?? x?.valueCode ?? x?.valueUri;
}
