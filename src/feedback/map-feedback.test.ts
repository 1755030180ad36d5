/** Feedback items → sentiment Observations that validate against `chartmine-feedback-sentiment`. */
import { describe, expect, test } from 'vitest';
import type { Observation } from '@medplum/fhirtypes';
import { aConcept, aMedication, aProblem } from '../../test/builders/mentions.js';
import { describeIssues, errorsOf, validateAgainstProfiles } from '../fhir/profiles/validate.js';
import { CHARTMINE_CODES } from '../fhir/naming.js';
import { mapFeedback, type FeedbackVersion } from './map-feedback.js';

const SNOMED = 'http://snomed.info/sct';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const TEXT = 'The sertraline gave me headaches, no nausea though.';
const SOURCE: FeedbackVersion = {
  id: 'QuestionnaireResponse-qr1',
  versionId: '3',
  subject: { reference: 'Patient/p1' },
  attachmentPath: 'QuestionnaireResponse',
  status: 'current',
  effective: '2026-11-02T09:00:00Z',
  source: { resourceType: 'QuestionnaireResponse', id: 'qr1' },
};
const sertraline = aConcept('rx:36437', 'sertraline', 'medication', [{ system: RXNORM, code: '36437', display: 'sertraline' }]);
const headache = aConcept('sct:25064002', 'Headache', 'disorder', [{ system: SNOMED, code: '25064002', display: 'Headache' }]);
const nausea = aConcept('sct:422587007', 'Nausea', 'disorder', [{ system: SNOMED, code: '422587007', display: 'Nausea' }]);

function build(): Observation {
  const [finding] = mapFeedback(
    SOURCE,
    [
      {
        item: { key: 'q1#0', linkId: 'q1', path: 'QuestionnaireResponse.item[0].answer[0].valueString', text: TEXT },
        result: { label: 'negative', scores: { negative: 0.81234, neutral: 0.1, positive: 0.08766 }, severity: 'moderate' },
        mentions: [
          aMedication(TEXT, 'sertraline', sertraline),
          aProblem(TEXT, 'headaches', headache),
          aProblem(TEXT, 'nausea', nausea, { assertion: 'negated' }),
        ],
      },
    ],
    '1.0.0+abc'
  );
  return finding.resource as Observation;
}

describe('feedback → sentiment Observation', () => {
  test('value, rounded scores, severity, medication focus and the side effect (negated symptoms left out)', () => {
    const o = build();
    expect(o.valueCodeableConcept?.coding?.[0]).toMatchObject({ system: CHARTMINE_CODES, code: 'sentiment-negative' });
    const byCode = (code: string) => o.component?.filter((c) => c.code.coding?.[0]?.code === code) ?? [];
    expect(byCode('sentiment-score-negative')[0].valueQuantity?.value).toBe(0.812);
    expect(byCode('side-effect-severity')[0].valueCodeableConcept?.coding?.[0]?.code).toBe('severity-moderate');
    expect(byCode('mentioned-medication')[0].valueCodeableConcept?.coding?.[0]).toMatchObject({ system: RXNORM, code: '36437' });
    expect(byCode('reported-side-effect').map((c) => c.valueCodeableConcept?.coding?.[0]?.code)).toEqual(['25064002']);
    expect(o.focus).toEqual([{ reference: '#med1' }]);
    expect(o.contained?.[0]).toMatchObject({ resourceType: 'Medication', id: 'med1' });
    expect(o.derivedFrom).toEqual([{ reference: 'QuestionnaireResponse/qr1' }]);
    expect(o.effectiveDateTime).toBe('2026-11-02T09:00:00Z');
    const span = byCode('reported-side-effect')[0].extension?.[0].extension;
    const offset = span?.find((e) => e.url === 'offset')?.valueInteger ?? -1;
    const length = span?.find((e) => e.url === 'length')?.valueInteger ?? 0;
    expect(TEXT.slice(offset, offset + length)).toBe('headaches');
    expect(span?.find((e) => e.url === 'reference')?.valueReference?.reference).toBe('QuestionnaireResponse/qr1/_history/3');
  });

  test('identifiers are deterministic: the same item maps to the same identifier', () => {
    expect(build().identifier).toEqual(build().identifier);
  });

  test('validates against chartmine-feedback-sentiment; a missing score component does not', () => {
    const o = build();
    expect(describeIssues(errorsOf(validateAgainstProfiles(o)))).toEqual([]);
    const broken = { ...o, component: o.component?.filter((c) => c.code.coding?.[0]?.code !== 'sentiment-score-neutral') };
    expect(describeIssues(errorsOf(validateAgainstProfiles(broken))).join('\n')).toContain('cm-fb-7');
  });
});
