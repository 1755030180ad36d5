/**
 * Local index first, external FHIR terminology server second: resolves displays of codes the index does not hold,
 * validates codes, and maps SNOMED CT to ICD-10-CM where the index has no map. Without a server it is the index.
 */
import type { FhirTerminologyClient } from './remote/fhir-terminology-client.js';
import { ICD10CM, SNOMED } from './systems.js';
import type { ConceptCoding, TerminologyIndex } from './types.js';

/** Where a coding's display came from. */
export type CodingSource = 'index' | 'server';

/** The terminology port the worker uses. */
export interface TerminologyService {
  readonly index: TerminologyIndex;
  /**
   * A coding with its display, from the index or else the server's `$lookup`.
   * @returns undefined when neither knows the code.
   */
  resolveCoding(system: string, code: string): Promise<(ConceptCoding & { readonly source: CodingSource }) | undefined>;
  /** Whether a code exists (index, else server `$validate-code`). */
  validateCode(system: string, code: string): Promise<boolean>;
  /** ICD-10-CM codings of a SNOMED CT code: the index's map, else the server's `ConceptMap/$translate`. */
  toIcd10cm(snomedCode: string): Promise<ConceptCoding[]>;
}

/** Options of the service. */
export interface TerminologyServiceOptions {
  readonly index: TerminologyIndex;
  /** The external server (`TERMINOLOGY_URL`), when configured. */
  readonly server?: FhirTerminologyClient;
  /** ConceptMap canonical for SNOMED CT → ICD-10-CM on the server, when it needs one. */
  readonly icd10cmConceptMap?: string;
}

/**
 * Creates the service.
 * @param options - index and optional server.
 * @returns the service.
 */
export function createTerminologyService(options: TerminologyServiceOptions): TerminologyService {
  const { index, server } = options;
  return {
    index,
    async resolveCoding(system, code) {
      const local = index.lookup(system, code)?.codings.find((c) => c.system === system && c.code === code);
      if (local) return { ...local, source: 'index' };
      const remote = await server?.lookup(system, code);
      return remote ? { system, code, display: remote.display, source: 'server' } : undefined;
    },
    async validateCode(system, code) {
      if (index.lookup(system, code)) return true;
      return server ? (await server.validateCode(system, code)).result : false;
    },
    async toIcd10cm(snomedCode) {
      const local = index.lookup(SNOMED, snomedCode)?.codings.filter((c) => c.system === ICD10CM) ?? [];
      if (local.length > 0 || !server) return local;
      const matches = await server.translate(SNOMED, snomedCode, ICD10CM, options.icd10cmConceptMap);
      return matches.map((m) => {
        const known = index.lookup(ICD10CM, m.coding.code);
        return known ? known.codings[0] : m.coding;
      });
    },
  };
}
