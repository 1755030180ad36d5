/**
 * Measurements from note text to Observations, validated against Chartmine's profiles: labs, scores, an LVEF range,
 * comparators, series and repeats. Paraphrased snippets of the kinds issue 11 lists.
 */
import { describe, expect, test } from 'vitest';
import type { Observation } from '@medplum/fhirtypes';
import { createRulePipeline } from '../nlp/pipeline.js';
import { buildDefaultTestTerminology } from '../nlp/testing/test-terminology.js';
import { DEFAULT_MAPPING_OPTIONS, type NoteVersion } from './finding-types.js';
import { mapFindings } from './map-findings.js';
import { PROFILES } from './naming.js';
import { describeIssues, errorsOf, validateAgainstProfiles } from './profiles/validate.js';

const pipeline = createRulePipeline({ terminology: buildDefaultTestTerminology() });
const note: NoteVersion = {
  id: 'n1',
  versionId: '1',
  subject: { reference: 'Patient/p1' },
  attachmentPath: 'DocumentReference.content[0].attachment',
  status: 'current',
  date: '2026-01-02T10:00:00Z',
};

async function observations(text: string): Promise<Observation[]> {
  const result = await pipeline.analyze(text);
  return mapFindings(note, text, result, { ...DEFAULT_MAPPING_OPTIONS, pipelineVersion: 'p1' })
    .map((f) => f.resource)
    .filter((r): r is Observation => r.resourceType === 'Observation');
}

const loincOf = (o: Observation): string | undefined => o.code?.coding?.[0].code;
const valueOf = (o: Observation): unknown =>
  o.valueRange ? [o.valueRange.low?.value, o.valueRange.high?.value] : o.valueQuantity ? `${o.valueQuantity.comparator ?? ''}${o.valueQuantity.value} ${o.valueQuantity.code}` : undefined;

describe('measurements → Observations that validate', () => {
  const text = [
    'PMH: HFrEF (LVEF 30-35% on TTE), DM2 (A1c 8.1%).',
    'Vitals: BP 142/88 HR 96 RR 18 T 37.9 SpO2 94% RA. Pain 7/10.',
    'Labs: Na 133, K 3.2 (L), Cr 1.8 <- 1.4, Hgb 9.9/Hct 30, troponin <0.01, eGFR >60, NT-proBNP 2,450 pg/mL (prior 4,100), Mg 1.6.',
    'ABG 7.29/52/68/24. PHQ-9 12, GAD-7 8.',
    'Plan: recheck K in AM; K 3.2 repleted.',
  ].join('\n');

  test('every Observation validates against the profiles it claims', async () => {
    const obs = await observations(text);
    expect(obs.length).toBeGreaterThan(15);
    for (const o of obs) expect(describeIssues(errorsOf(validateAgainstProfiles(o))), loincOf(o)).toEqual([]);
  });

  test('values, comparators, ranges, series and repeats as the note states them', async () => {
    const obs = await observations(text);
    const byCode = new Map<string, unknown[]>();
    for (const o of obs) byCode.set(loincOf(o) ?? '', [...(byCode.get(loincOf(o) ?? '') ?? []), valueOf(o)]);
    expect(byCode.get('10230-1')).toEqual([[30, 35]]); // LVEF range as valueRange, even under PMH
    expect(byCode.get('4548-4')).toEqual(['8.1 %']); // a value listed under past history is still a value
    expect(byCode.get('2823-3')).toEqual(['3.2 mmol/L']); // "K 3.2" twice is one Observation
    expect(byCode.get('2160-0')).toEqual(['1.8 mg/dL']); // the most recent of "1.8 <- 1.4"
    expect(byCode.get('10839-9')).toEqual(['<0.01 ng/mL']);
    expect(byCode.get('33914-3')).toEqual(['>60 mL/min/{1.73_m2}']);
    expect(byCode.get('33762-6')).toEqual(['2450 pg/mL']);
    expect(byCode.get('19123-9')).toEqual(['1.6 mg/dL']); // "(prior 4,100)" does not make the next lab historical
    expect(byCode.get('2744-1')).toEqual(['7.29 [pH]']);
    expect(byCode.get('44261-6')).toEqual(['12 {score}']);
    expect(byCode.get('72514-3')).toEqual(['7 {score}']);
  });

  test('categories and profiles: laboratory, vital signs, survey and imaging', async () => {
    const obs = await observations(text);
    const of = (code: string): Observation => obs.find((o) => loincOf(o) === code) as Observation;
    expect(of('10230-1')).toMatchObject({ category: [{ coding: [{ code: 'imaging' }] }], meta: { profile: [PROFILES.measure] } });
    expect(of('44261-6')).toMatchObject({ category: [{ coding: [{ code: 'survey' }] }], meta: { profile: [PROFILES.measure] } });
    expect(of('2160-0')).toMatchObject({ category: [{ coding: [{ code: 'laboratory' }] }], meta: { profile: [PROFILES.laboratory] } });
    expect(of('2823-3').interpretation?.[0].coding?.[0].code).toBe('L');
  });

  test('the measure profile refuses a range whose ends differ in unit, and a laboratory category', async () => {
    const lvef = (await observations('EF 20-25%.')).find((o) => loincOf(o) === '10230-1') as Observation;
    expect(describeIssues(errorsOf(validateAgainstProfiles(lvef)))).toEqual([]);
    const mixed = { ...lvef, valueRange: { ...lvef.valueRange, high: { ...lvef.valueRange?.high, code: 'mm' } } };
    expect(describeIssues(errorsOf(validateAgainstProfiles(mixed))).join()).toContain('cm-obs-5');
    const lab = { ...lvef, category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }] };
    expect(describeIssues(errorsOf(validateAgainstProfiles(lab))).join()).toContain('cm-msr-3');
  });
});
