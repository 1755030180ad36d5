/**
 * Wraps a pipeline so that problems coded in SNOMED CT without an ICD-10-CM coding get one from the terminology
 * service (the index's map, else the external server's `ConceptMap/$translate`, cached). Only used when
 * TERMINOLOGY_URL is set; without a server the index already did everything this could.
 */
import { UNTIMED_STAGE, type AnalyzeOptions, type Mention, type NlpPipeline, type NlpResult } from '../nlp/types.js';
import { ICD10CM, SNOMED } from './systems.js';
import type { TerminologyService } from './terminology-service.js';
import type { Concept } from './types.js';

/**
 * Wraps the pipeline.
 * @param pipeline - the pipeline to wrap.
 * @param service - the terminology service (index + server).
 * @param serverUrl - the server's base URL, named in the pipeline's components (its answers shape the output).
 * @returns a pipeline with the same results plus ICD-10-CM codings from the server.
 */
export function withTerminologyServer(pipeline: NlpPipeline, service: TerminologyService, serverUrl: string): NlpPipeline {
  return {
    info: {
      ...pipeline.info,
      components: [...pipeline.info.components, { name: 'terminology-server', version: serverUrl }],
    },
    async analyze(text: string, options?: AnalyzeOptions): Promise<NlpResult> {
      const result = await pipeline.analyze(text, options);
      const enriched = new Map<string, Concept>();
      await (options?.stage ?? UNTIMED_STAGE)('terminology', async () => {
        for (const concept of uniqueConcepts(result.mentions)) {
          const snomed = concept.codings.find((c) => c.system === SNOMED);
          if (!snomed || concept.codings.some((c) => c.system === ICD10CM)) continue;
          const icd = await service.toIcd10cm(snomed.code);
          if (icd.length > 0) enriched.set(concept.id, { ...concept, codings: [...concept.codings, ...icd] });
        }
      });
      if (enriched.size === 0) return result;
      const mentions = result.mentions.map((m) =>
        m.kind === 'problem' && m.concept && enriched.has(m.concept.id) ? { ...m, concept: enriched.get(m.concept.id) } : m
      );
      return { ...result, mentions };
    },
  };
}

function uniqueConcepts(mentions: readonly Mention[]): Concept[] {
  const byId = new Map<string, Concept>();
  for (const m of mentions) {
    if (m.kind === 'problem' && m.concept) byId.set(m.concept.id, m.concept);
  }
  return [...byId.values()];
}
