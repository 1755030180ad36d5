import { describe, expect, test } from 'vitest';
import { toFhirInteraction, toFhirInteractionOfUrl } from './interaction.js';

describe('toFhirInteraction', () => {
  test.each([
    ['GET', 'DocumentReference/abc-1', 'read'],
    ['GET', 'Condition/1/_history/2', 'vread'],
    ['GET', 'Provenance/p1/_history', 'history'],
    ['GET', 'Condition', 'search'],
    ['POST', 'Condition/_search', 'search'],
    ['POST', 'AuditEvent', 'create'],
    ['PUT', 'Provenance/p1', 'update'],
    ['PUT', 'Condition', 'update'],
    ['PATCH', 'Condition/1', 'patch'],
    ['DELETE', 'Condition/1', 'delete'],
    ['GET', 'metadata', 'capabilities'],
    ['POST', '', 'transaction'],
    ['GET', 'not a path', 'other'],
  ])('%s %s is %s', (method, path, interaction) => {
    expect(toFhirInteraction(method, path)).toBe(interaction);
  });

  test('a POST to the base names a batch from the Bundle type', () => {
    expect(toFhirInteraction('POST', '', 'batch')).toBe('batch');
    expect(toFhirInteraction('POST', '', 'transaction')).toBe('transaction');
  });
});

describe('toFhirInteractionOfUrl', () => {
  const base = 'http://127.0.0.1:8080/fhir/R4/';
  test('reads the path below the base and ignores the query', () => {
    expect(toFhirInteractionOfUrl('GET', `${base}Condition?_tag=a%7Cb&_count=500`, base)).toBe('search');
    expect(toFhirInteractionOfUrl('GET', `${base}DocumentReference/n1`, base)).toBe('read');
    expect(toFhirInteractionOfUrl('POST', base, base, '{"resourceType":"Bundle","type":"batch","entry":[]}')).toBe('batch');
    expect(toFhirInteractionOfUrl('POST', base.replace(/\/$/, ''), base, '{"resourceType":"Bundle","type":"transaction"}')).toBe('transaction');
  });

  test('a URL outside the base (a signed storage URL) is other', () => {
    expect(toFhirInteractionOfUrl('GET', 'http://127.0.0.1:8080/storage/abc?Signature=x', base)).toBe('other');
    expect(toFhirInteractionOfUrl('GET', 'http://127.0.0.1:8080/fhir/R4x/Condition', base)).toBe('other');
  });
});
