import { describe, expect, test } from 'vitest';
import { parseSig } from './medication-sig.js';
import { detectMedicationStatus } from './medication-status.js';
import { createRulePipeline } from './pipeline.js';
import { buildDefaultTestTerminology } from './testing/test-terminology.js';
import type { MedicationMention } from './types.js';

const pipeline = createRulePipeline({ terminology: buildDefaultTestTerminology() });

async function statusOf(text: string, drug: string): Promise<{ status: string; assertion: string }> {
  const { mentions } = await pipeline.analyze(text);
  const start = text.indexOf(drug);
  const m = mentions.find((x) => x.kind === 'medication' && x.span.start === start) as MedicationMention | undefined;
  if (!m) throw new Error(`no medication at '${drug}'`);
  return { status: m.status, assertion: m.assertion };
}

describe('medication status: a negation cut off from the drug', () => {
  test.each([
    ['Meds: lisinopril 20 mg qd (not taking since May - ran out), metformin 500 mg BID.', 'metformin'],
    ['Home meds: atenolol 25 mg daily (has not needed it), aspirin 81 mg daily.', 'aspirin'],
    ['No DVT prophylaxis needed (on warfarin).', 'warfarin'],
    ['# Gout - no flare, continue atorvastatin.', 'atorvastatin'],
    ['No relief despite acetaminophen 1 g TID.', 'acetaminophen'],
  ] as const)('%s -> %s is not not-taken', async (text, drug) => {
    const { status, assertion } = await statusOf(text, drug);
    expect(assertion).not.toBe('negated');
    expect(status).not.toBe('not-taken');
  });

  test('a negation that reaches the drug still makes it not-taken', async () => {
    expect((await statusOf('Meds: metformin 500 mg BID, not taking lisinopril.', 'lisinopril')).status).toBe('not-taken');
    expect((await statusOf('Meds: lisinopril 20 mg (not taking x2 mo - ran out), metformin 500 mg BID.', 'lisinopril')).status).toBe('not-taken');
    expect((await statusOf('She takes no aspirin.', 'aspirin')).assertion).toBe('negated');
  });

  test('a dose change after the drug keeps it active', async () => {
    expect((await statusOf('Plan: Oxycodone increased to 10 mg q4h PRN.', 'Oxycodone')).status).toBe('active');
  });
});

describe('medication status: the decision of a reconciliation list item', () => {
  test.each([
    ['9. Metformin 500 mg BID - taking. -> Held while admitted; sliding scale ordered.', 'Metformin', 'on-hold'],
    ['4. Ibuprofen 200 mg PRN - taking twice a week. -> STOP (kidneys).', 'Ibuprofen', 'stopped'],
    ['2. Warfarin 5 mg daily - old list, pt switched last year. DISCONTINUED - removed from list.', 'Warfarin', 'stopped'],
    ['3. Lisinopril 10 mg daily - taking. -> Both held now. Recommend stop at discharge.', 'Lisinopril', 'on-hold'],
  ] as const)('%s -> %s', async (text, drug, expected) => {
    expect((await statusOf(text, drug)).status).toBe(expected);
  });

  test('only a drug that opens the item takes the line decision', async () => {
    expect((await statusOf('Pt also takes aspirin 81 mg daily. -> Held.', 'aspirin')).status).toBe('active');
  });
});

describe('medication status: a historical cue in a list header', () => {
  test('"Meds prior to admission:" does not make the listed drugs past ones', async () => {
    const text = 'Meds prior to admission: lantus 30 units qHS, lisinopril 10 mg daily, atenolol 25 mg daily';
    for (const drug of ['lantus', 'lisinopril', 'atenolol']) expect(await statusOf(text, drug)).toEqual({ assertion: 'affirmed', status: 'active' });
  });

  test('a historical cue that reaches the drug still holds', async () => {
    // historical is written as completed (build-context medicationStatus)
    expect((await statusOf('Previously on lisinopril 10 mg daily.', 'lisinopril')).assertion).toBe('historical');
    expect((await statusOf('h/o pneumonia (treated 2019 w/ ciprofloxacin).', 'ciprofloxacin')).assertion).toBe('historical');
  });
});

describe('medication status: given, completed, finished', () => {
  test.each([
    ['Nausea: ondansetron 4 mg IV x1 given today.', 'ondansetron'],
    ['- aspirin 325 mg PO chewed - given', 'aspirin'],
    ['- valacyclovir - completed 6-month course last year', 'valacyclovir'],
    ['Finished prednisone taper in July.', 'prednisone'],
  ] as const)('%s -> %s completed', (text, drug) => {
    expect(detect(text, drug)).toBe('completed');
  });

  test('a dose of a scheduled drug given is active; samples given are not a completed course', () => {
    expect(detect('- enoxaparin 40 mg subQ daily - given 0900', 'enoxaparin')).toBe('active');
    expect(detect('Nexium 40 mg given samples of this today.', 'Nexium')).not.toBe('completed');
  });
});

describe('medication status: a prescription at discharge', () => {
  test.each([
    ['He was then discharged with Robitussin cough syrup.', 'Robitussin'],
    ['Sent home with a prescription for amoxicillin 500 mg TID.', 'amoxicillin'],
    ['Docusate and lactulose will be used as needed.', 'lactulose'],
  ] as const)('%s -> %s intended', (text, drug) => {
    expect(detect(text, drug)).toBe('intended');
  });
});

function detect(text: string, drug: string): string {
  const start = text.indexOf(drug);
  const sig = parseSig(text, start + drug.length, text.length);
  return detectMedicationStatus(text, { start: 0, end: text.length }, { start, end: start + drug.length }, sig.span?.end ?? start + drug.length, undefined, false);
}
