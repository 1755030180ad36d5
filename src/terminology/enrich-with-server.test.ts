import { describe, expect, test } from 'vitest';
import { aConcept, aProblem, aResult } from '../../test/builders/mentions.js';
import type { NlpPipeline } from '../nlp/types.js';
import { withTerminologyServer } from './enrich-with-server.js';
import { ICD10CM } from './systems.js';
import type { TerminologyService } from './terminology-service.js';

const text = 'Sarcoidosis and asthma.';
const sarcoid = aConcept('sct:31541009', 'Sarcoidosis');
const asthma = aConcept('sct:195967001', 'Asthma', 'disorder', [
  { system: 'http://snomed.info/sct', code: '195967001', display: 'Asthma' },
  { system: ICD10CM, code: 'J45.909', display: 'Unspecified asthma, uncomplicated' },
]);
const pipeline: NlpPipeline = {
  info: { name: 'p', version: '1', components: [] },
  analyze: async () => aResult(aProblem(text, 'Sarcoidosis', sarcoid), aProblem(text, 'asthma', asthma)),
};

describe('withTerminologyServer', () => {
  test('adds the server\'s ICD-10-CM coding where the index has none, and asks only for those', async () => {
    const asked: string[] = [];
    const service = {
      toIcd10cm: async (code: string) => {
        asked.push(code);
        return code === '31541009' ? [{ system: ICD10CM, code: 'D86.9', display: 'Sarcoidosis, unspecified' }] : [];
      },
    } as unknown as TerminologyService;
    const wrapped = withTerminologyServer(pipeline, service, 'https://tx.example.org/fhir');
    const result = await wrapped.analyze(text);
    expect(asked).toEqual(['31541009']);
    expect(result.mentions[0].concept?.codings.map((c) => c.code)).toEqual(['31541009', 'D86.9']);
    expect(result.mentions[1].concept).toBe(asthma);
    expect(sarcoid.codings).toHaveLength(1); // the index's concept is not mutated
    expect(wrapped.info.components).toContainEqual({ name: 'terminology-server', version: 'https://tx.example.org/fhir' });
  });
});
