import { describe, expect, test } from 'vitest';
import { SNOMED } from '../terminology/systems.js';
import { findAbbreviations, parseAbbreviations } from './abbreviations.js';
import { readRuleLexicons } from './lexicons/rule-lexicons.js';
import { createRulePipeline } from './pipeline.js';
import { buildDefaultTestTerminology, buildTestTerminology, TEST_CONCEPTS } from './testing/test-terminology.js';
import { tokenize } from './tokenize.js';

const { abbreviations: table } = readRuleLexicons();
const pipeline = createRulePipeline({ terminology: buildDefaultTestTerminology() });

/** The expansion chosen for the first occurrence of `abbr` in `text` (`-` when context chose a non-codable sense). */
function sense(text: string, abbr: string, section?: Parameters<typeof findAbbreviations>[4]): string | undefined {
  const tokens = tokenize(text);
  const start = text.indexOf(abbr);
  const hit = findAbbreviations(text, tokens, 0, tokens.length, section, table).find((h) => h.span.start === start);
  if (!hit) return undefined;
  return hit.sense ? (hit.sense.expansion ?? '-') : '-';
}

/** Display of the concept the pipeline coded for the span of `abbr` (undefined: no mention there). */
async function coded(text: string, abbr: string): Promise<string | undefined> {
  const start = text.indexOf(abbr);
  const { mentions } = await pipeline.analyze(text);
  return mentions.find((m) => m.span.start === start && m.span.end === start + abbr.length)?.concept?.display;
}

describe('abbreviation expansion keeps the original offsets', () => {
  test.each([
    ['Hx of HTN and CAD.', 'HTN', 'Hypertension'],
    ['Known DM2, on insulin.', 'DM2', 'Type 2 diabetes mellitus'],
    ['T2DM, poorly controlled.', 'T2DM', 'Type 2 diabetes mellitus'],
    ['Admitted with CHF exacerbation.', 'CHF', 'Congestive heart failure'],
    ['Severe COPD.', 'COPD', 'Chronic obstructive lung disease'],
    ['New AFib.', 'AFib', 'Atrial fibrillation'],
    ['Complains of SOB.', 'SOB', 'Dyspnea'],
    ['Reports N/V since last night.', 'N/V', 'Nausea and vomiting'],
    ['Recurrent UTI.', 'UTI', 'Urinary tract infectious disease'],
    ['GERD on omeprazole.', 'GERD', 'Gastroesophageal reflux disease'],
    ['CKD with proteinuria.', 'CKD', 'Chronic kidney disease'],
    ['Prior CVA.', 'CVA', 'Cerebrovascular accident'],
  ])('%s (%s)', async (text, abbr, display) => {
    expect(await coded(text, abbr)).toBe(display);
  });
});

describe('ambiguous abbreviations are disambiguated by context', () => {
  test('MS: multiple sclerosis, mitral stenosis, morphine sulfate, mental status', () => {
    expect(sense('MS diagnosed on MRI with periventricular lesions.', 'MS')).toBe('multiple sclerosis');
    expect(sense('Echo shows severe MS with a mean gradient of 12.', 'MS')).toBe('mitral stenosis');
    expect(sense('MS 4 mg IV q4h prn pain.', 'MS')).toBe('morphine sulfate');
    expect(sense('Altered MS since this morning.', 'MS')).toBe('-');
  });

  test('PE: pulmonary embolism vs physical exam', () => {
    expect(sense('CTA chest to rule out PE; on heparin.', 'PE')).toBe('pulmonary embolism');
    expect(sense('PE otherwise unremarkable.', 'PE')).toBe('-');
  });

  test('RA: rheumatoid arthritis vs room air / right atrium', () => {
    expect(sense('RA on methotrexate, joints swollen.', 'RA')).toBe('rheumatoid arthritis');
    expect(sense('SpO2 97% on RA.', 'RA')).toBe('-');
    expect(sense('Dilated RA and RV on echo.', 'RA')).toBe('-');
  });

  test('CP: chest pain by default, cerebral palsy with neurodevelopmental context', () => {
    expect(sense('Presents with CP radiating to the jaw.', 'CP')).toBe('chest pain');
    expect(sense('12 yo with spastic CP and seizures, wheelchair bound.', 'CP')).toBe('cerebral palsy');
  });

  test('through the pipeline: the dictionary match of an ambiguous abbreviation is re-decided', async () => {
    const index = buildTestTerminology([
      ...TEST_CONCEPTS,
      { system: SNOMED, code: '59282003', display: 'Pulmonary embolism (abbr)', group: 'disorder', terms: ['PE'] },
    ]);
    const p = createRulePipeline({ terminology: index });
    const onRoomAir = 'PE: lungs clear. Exam: PE normal.';
    const peAt = onRoomAir.lastIndexOf('PE');
    const { mentions } = await p.analyze(onRoomAir);
    expect(mentions.find((m) => m.span.start === peAt)).toBeUndefined();
    expect(await coded('Dilated RA, SpO2 95% on RA.', 'RA')).toBeUndefined();
    expect(await coded('RA on methotrexate with joint pain.', 'RA')).toBe('Rheumatoid arthritis');
  });

  test('case matters for case-sensitive abbreviations ("as" is not aortic stenosis)', () => {
    expect(sense('Doing as well as expected.', 'as')).toBeUndefined();
  });

  test('a malformed table row names its line', () => {
    expect(() => parseAbbreviations('# x\nHTN\tmaybe\thypertension\tdisorder\t*\n')).toThrow(/line 2/);
  });
});
