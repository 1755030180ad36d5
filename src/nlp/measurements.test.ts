import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { readRuleLexicons } from './lexicons/rule-lexicons.js';
import { extractMeasurements, parseMeasurementDefinitions } from './measurements.js';
import { tokenize } from './tokenize.js';

const { measurements: table } = readRuleLexicons();

function found(text: string) {
  const r = extractMeasurements(text, tokenize(text), table);
  return r.found.map((m) => ({
    key: m.key,
    text: text.slice(m.span.start, m.span.end),
    loinc: m.concept.codings[0].code,
    value: m.value ?? m.components?.map((c) => c.value),
    unit: m.unit ?? m.components?.[0].unit,
    ...(m.interpretation ? { flag: m.interpretation } : {}),
    ...(m.comparator ? { comparator: m.comparator } : {}),
  }));
}
const rejected = (text: string) =>
  extractMeasurements(text, tokenize(text), table).rejected.map((r) => ({ key: r.key, reason: r.reason, text: text.slice(r.span.start, r.span.end) }));

describe('vital signs', () => {
  test.each([
    ['BP 142/88', 'blood-pressure', '85354-9', [142, 88], 'mm[Hg]'],
    ['blood pressure 142/88 mmHg', 'blood-pressure', '85354-9', [142, 88], 'mm[Hg]'],
    ['B/P: 118/76', 'blood-pressure', '85354-9', [118, 76], 'mm[Hg]'],
    ['HR 72', 'heart-rate', '8867-4', 72, '/min'],
    ['P 72', 'heart-rate', '8867-4', 72, '/min'],
    ['pulse 72 bpm', 'heart-rate', '8867-4', 72, '/min'],
    ['RR 16', 'respiratory-rate', '9279-1', 16, '/min'],
    ['respirations 18', 'respiratory-rate', '9279-1', 18, '/min'],
    ['T 98.6F', 'body-temperature', '8310-5', 98.6, '[degF]'],
    ['T 37.1 C', 'body-temperature', '8310-5', 37.1, 'Cel'],
    ['temperature of 101.2', 'body-temperature', '8310-5', 101.2, '[degF]'],
    ['Temp 38.4', 'body-temperature', '8310-5', 38.4, 'Cel'],
    ['SpO2 96% RA', 'oxygen-saturation', '59408-5', 96, '%'],
    ['O2 sat 94% on 2L', 'oxygen-saturation', '59408-5', 94, '%'],
    ['Wt 82 kg', 'body-weight', '29463-7', 82, 'kg'],
    ['weight 180 lb', 'body-weight', '29463-7', 180, '[lb_av]'],
    ['Ht 178 cm', 'body-height', '8302-2', 178, 'cm'],
    ['Ht 70 in', 'body-height', '8302-2', 70, '[in_i]'],
    [`Ht 5'10"`, 'body-height', '8302-2', 70, '[in_i]'],
    ['height 5 ft 4 in', 'body-height', '8302-2', 64, '[in_i]'],
    ['BMI 31.2', 'body-mass-index', '39156-5', 31.2, 'kg/m2'],
  ])('%s', (text, key, loinc, value, unit) => {
    expect(found(text)).toEqual([expect.objectContaining({ key, loinc, value, unit })]);
  });

  test('a vitals run gives one mention per vital, spans exact', () => {
    const text = 'BP 120/80, HR 72, RR 16, T 98.6 F, SpO2 99% RA, Wt 70 kg';
    expect(found(text).map((m) => m.text)).toEqual(['BP 120/80', 'HR 72', 'RR 16', 'T 98.6 F', 'SpO2 99%', 'Wt 70 kg']);
  });
});

describe('laboratory results', () => {
  test.each([
    ['HbA1c 7.2%', 'hemoglobin-a1c', '4548-4', 7.2, '%'],
    ['hemoglobin A1c of 8.1', 'hemoglobin-a1c', '4548-4', 8.1, '%'],
    ['glucose 145 mg/dL', 'glucose', '2345-7', 145, 'mg/dL'],
    ['glucose 7.8 mmol/L', 'glucose', '14749-6', 7.8, 'mmol/L'],
    ['Cr 1.2', 'creatinine', '2160-0', 1.2, 'mg/dL'],
    ['creatinine 88 umol/L', 'creatinine', '14682-9', 88, 'umol/L'],
    ['eGFR 45', 'egfr', '33914-3', 45, 'mL/min/{1.73_m2}'],
    ['BUN 18', 'urea-nitrogen', '3094-0', 18, 'mg/dL'],
    ['Na 138', 'sodium', '2951-2', 138, 'mmol/L'],
    ['K 4.1 mEq/L', 'potassium', '2823-3', 4.1, 'mmol/L'],
    ['Cl 101', 'chloride', '2075-0', 101, 'mmol/L'],
    ['CO2 24', 'carbon-dioxide', '2028-9', 24, 'mmol/L'],
    ['bicarbonate 22', 'carbon-dioxide', '2028-9', 22, 'mmol/L'],
    ['Hgb 13.2 g/dL', 'hemoglobin', '718-7', 13.2, 'g/dL'],
    ['Hct 39', 'hematocrit', '4544-3', 39, '%'],
    ['WBC 7.2', 'leukocytes', '6690-2', 7.2, '10*3/uL'],
    ['WBC 12.1 K/uL', 'leukocytes', '6690-2', 12.1, '10*3/uL'],
    ['Plt 250', 'platelets', '777-3', 250, '10*3/uL'],
    ['LDL 130', 'ldl-cholesterol', '2089-1', 130, 'mg/dL'],
    ['HDL 45 mg/dL', 'hdl-cholesterol', '2085-9', 45, 'mg/dL'],
    ['total cholesterol 210', 'total-cholesterol', '2093-3', 210, 'mg/dL'],
    ['triglycerides 180', 'triglycerides', '2571-8', 180, 'mg/dL'],
    ['TSH 2.1', 'tsh', '3016-3', 2.1, 'm[IU]/L'],
    ['ALT 45 U/L', 'alt', '1742-6', 45, 'U/L'],
    ['AST 38', 'ast', '1920-8', 38, 'U/L'],
    ['INR 2.5', 'inr', '6301-6', 2.5, '{INR}'],
    ['troponin 0.04', 'troponin-i', '10839-9', 0.04, 'ng/mL'],
    ['BNP 850 pg/mL', 'bnp', '30934-4', 850, 'pg/mL'],
  ])('%s', (text, key, loinc, value, unit) => {
    expect(found(text)).toEqual([expect.objectContaining({ key, loinc, value, unit })]);
  });

  test('flags as written and comparators', () => {
    expect(found('K 5.9 (H), Na 128 L, glucose 40 LL')).toEqual([
      expect.objectContaining({ key: 'potassium', text: 'K 5.9 (H)', flag: 'H' }),
      expect.objectContaining({ key: 'sodium', text: 'Na 128 L', flag: 'L' }),
      expect.objectContaining({ key: 'glucose', text: 'glucose 40 LL', flag: 'LL' }),
    ]);
    expect(found('troponin <0.01, eGFR >60')).toEqual([
      expect.objectContaining({ key: 'troponin-i', value: 0.01, comparator: '<' }),
      expect.objectContaining({ key: 'egfr', value: 60, comparator: '>' }),
    ]);
    expect(found('WBC 15.2 high')[0]).toMatchObject({ flag: 'H' });
  });
});

describe('implausible values are rejected with a reason', () => {
  test.each([
    ['HR 500', 'heart-rate', 'implausible-value'],
    ['SpO2 140%', 'oxygen-saturation', 'implausible-value'],
    ['BP 400/80', 'blood-pressure', 'implausible-value'],
    ['BP 80/120', 'blood-pressure', 'systolic-not-above-diastolic'],
    ['temp 150', 'body-temperature', 'implausible-value'],
    ['potassium 45', 'potassium', 'implausible-value'],
    ['weighs 180', 'body-weight', 'missing-unit'],
  ])('%s -> %s', (text, key, reason) => {
    expect(found(text)).toEqual([]);
    expect(rejected(text)).toEqual([{ key, reason, text }]);
  });

  test('words that only look like measurements are ignored', () => {
    expect(found('Pulses 2+ bilaterally. BP on 12/03. T2DM. The lesion measures 2.5 cm.')).toEqual([]);
    expect(rejected('Pulses 2+ bilaterally. T2DM.')).toEqual([]);
  });

  test('one-letter aliases (T, P, R, K) drop implausible values silently: "T 2" is usually not a temperature', () => {
    expect(found('K 45')).toEqual([]);
    expect(rejected('K 45')).toEqual([]);
  });

  test('aliases inside section headers are skipped', () => {
    const text = 'Pulse exam: 2+ bilaterally. HR 80';
    expect(extractMeasurements(text, tokenize(text), table, [{ start: 0, end: 11 }]).found.map((f) => f.key)).toEqual(['heart-rate']);
  });

  test('a header that is just the alias as a label gives the value that follows, the span starting after the header', () => {
    const text = 'WT:  223 pounds';
    const found = extractMeasurements(text, tokenize(text), table, [{ start: 0, end: 3 }]).found;
    expect(found.map((f) => [f.key, f.value, f.unit, text.slice(f.span.start, f.span.end)])).toEqual([['body-weight', 223, '[lb_av]', '223 pounds']]);
  });
});

test('a definition without units is refused at load time, naming its key', () => {
  expect(() => parseMeasurementDefinitions(JSON.stringify({ writtenUnits: {}, definitions: [{ key: 'x', loinc: '1-1', aliases: [], units: {} }] }))).toThrow(/'x'/);
});

// Paraphrased shorthand of the kind real notes use (issue 11); values as written, units in UCUM.
const brief = (text: string) =>
  found(text).map((m) => [m.key, m.comparator ? `${m.comparator}${String(m.value)}` : m.value, m.unit]);

describe('labs from the LOINC Top 2000 list (labs.json)', () => {
  test.each([
    ['A1c 7.9% last month', 'hemoglobin-a1c', '4548-4', 7.9, '%'],
    ['TSH 0.02, free T4 2.8', 'tsh', '3016-3', 0.02, 'm[IU]/L'],
    ['free T4 2.8 ng/dL', 'free-t4', '3024-7', 2.8, 'ng/dL'],
    ['ferritin 12', 'ferritin', '2276-4', 12, 'ng/mL'],
    ['iron sat 9%', 'transferrin-saturation', '2502-3', 9, '%'],
    ['TIBC 460', 'tibc', '2500-7', 460, 'ug/dL'],
    ['eGFR 38', 'egfr', '33914-3', 38, 'mL/min/{1.73_m2}'],
    ['BNP 1,120.', 'bnp', '30934-4', 1120, 'pg/mL'],
    ['NT-proBNP 3,400 pg/mL', 'nt-probnp', '33762-6', 3400, 'pg/mL'],
    ['hs-troponin 45 ng/L', 'troponin-i', '10839-9', 45, 'ng/L'],
    ['troponin T 0.03', 'troponin-t', '6598-7', 0.03, 'ng/mL'],
    ['lactic acid 4.2', 'lactate', '2524-7', 4.2, 'mmol/L'],
    ['procalcitonin 0.8', 'procalcitonin', '33959-8', 0.8, 'ng/mL'],
    ['T bili 3.1', 'total-bilirubin', '1975-2', 3.1, 'mg/dL'],
    ['alk phos 212', 'alkaline-phosphatase', '6768-6', 212, 'U/L'],
    ['ALT 64 IU/L', 'alt', '1742-6', 64, '[IU]/L'],
    ['Alb 2.7', 'albumin', '1751-7', 2.7, 'g/dL'],
    ['lipase 890', 'lipase', '3040-3', 890, 'U/L'],
    ['Ca 11.2', 'calcium', '17861-6', 11.2, 'mg/dL'],
    ['Mg 1.5', 'magnesium', '19123-9', 1.5, 'mg/dL'],
    ['Phos 2.1', 'phosphate', '2777-1', 2.1, 'mg/dL'],
    ['PTH 410 pg/mL', 'pth', '2731-8', 410, 'pg/mL'],
    ['vitamin D 14', 'vitamin-d', '62292-8', 14, 'ng/mL'],
    ['PSA 6.2', 'psa', '2857-1', 6.2, 'ng/mL'],
    ['CEA 3.3', 'cea', '2039-6', 3.3, 'ng/mL'],
    ['CA 19-9 220', 'ca-19-9', '24108-3', 220, 'U/mL'],
    ['CA-125 88', 'ca-125', '10334-1', 88, 'U/mL'],
    ['AFP 9.1 ng/mL', 'afp', '1834-1', 9.1, 'ng/mL'],
    ['vanc trough 17.5', 'vancomycin-trough', '4092-3', 17.5, 'ug/mL'],
    ['tacrolimus level 9.4', 'tacrolimus', '11253-2', 9.4, 'ng/mL'],
    ['lithium level 1.1', 'lithium', '14334-7', 1.1, 'mmol/L'],
    ['digoxin level 2.4', 'digoxin', '10535-3', 2.4, 'ng/mL'],
    ['ANC 0.6', 'neutrophils-absolute', '751-8', 0.6, '10*3/uL'],
    ['ESR 61 mm/hr', 'esr', '30341-2', 61, 'mm/h'],
    ['CRP 8.8 mg/L', 'crp', '1988-5', 8.8, 'mg/L'],
    ['INR 2.6', 'inr', '6301-6', 2.6, '{INR}'],
    ['PTT 41', 'aptt', '14979-9', 41, 's'],
    ['UACR 120 mg/g', 'urine-albumin-creatinine', '14959-1', 120, 'mg/g'],
  ])('%s', (text, key, loinc, value, unit) => {
    expect(found(text)[0]).toEqual(expect.objectContaining({ key, loinc, value, unit }));
  });

  test('scores, imaging, pulmonary function and sleep measures', () => {
    expect(brief('PHQ-9 of 14 today, GAD-7 9')).toEqual([['phq-9', 14, '{score}'], ['gad-7', 9, '{score}']]);
    expect(brief('PHQ-9 score 11/27')).toEqual([['phq-9', 11, '{score}']]);
    expect(brief('pain 6/10 at rest')).toEqual([['pain-score', 6, '{score}']]);
    expect(brief('rates it 4/10.')).toEqual([]); // "it" between: no score without its alias next to it
    expect(brief('rates 4/10.')).toEqual([['pain-score', 4, '{score}']]);
    expect(brief('abdominal pain x3 days')).toEqual([]); // a pain score is written N/10
    expect(brief('FEV1 1.45 L, FVC 2.90 L, FEV1/FVC 0.50')).toEqual([['fev1', 1.45, 'L'], ['fvc', 2.9, 'L'], ['fev1-fvc', 0.5, '1']]);
    expect(brief('AHI 27 events/h')).toEqual([['ahi', 27, '/h']]);
    expect(brief('NIHSS 9')).toEqual([['nihss', 9, '{score}']]);
  });

  test('LVEF ranges keep both ends; a single EF stays single', () => {
    const r = extractMeasurements('LVEF 35-40% on echo', tokenize('LVEF 35-40% on echo'), table).found;
    expect(r.map((m) => [m.key, m.value, m.valueHigh, m.unit])).toEqual([['lvef', 35, 40, '%']]);
    const s = 'EF of 20%-25%, prior EF 55 %';
    expect(extractMeasurements(s, tokenize(s), table).found.map((m) => [m.value, m.valueHigh])).toEqual([[20, 25], [55, undefined]]);
    const t = 'EF 25 to 30 %';
    expect(extractMeasurements(t, tokenize(t), table).found.map((m) => [m.value, m.valueHigh])).toEqual([[25, 30]]);
  });

  test('plausibility per analyte: values outside it are rejected, never reported', () => {
    expect(brief('Mg 45')).toEqual([]);
    expect(rejected('magnesium 45').map((r) => r.reason)).toEqual(['implausible-value']);
    expect(brief('PHQ-9 31')).toEqual([]);
    expect(brief('pain 14/10')).toEqual([]);
    expect(brief('LVEF 120%')).toEqual([]);
  });

  test('drugs with a lab name and a dose are no results', () => {
    expect(brief('iron 325 mg daily, lithium 300 mg BID, tacrolimus 2 BID, vitamin D 50,000 units weekly, Micro-K 10 mEq')).toEqual([]);
    expect(brief('1 ml tacrolimus 5 mg/ml injection')).toEqual([]); // a concentration is a strength, not a level
  });
});

describe('lab shorthand', () => {
  test('censored values carry their comparator, in symbols or words', () => {
    expect(brief('troponin <0.01, eGFR >90')).toEqual([['troponin-i', '<0.01', 'ng/mL'], ['egfr', '>90', 'mL/min/{1.73_m2}']]);
    expect(brief('serum alcohol is less than 5')).toEqual([['ethanol', '<5', 'mg/dL']]);
    expect(brief('estimated GFR greater than 60')).toEqual([['egfr', '>60', 'mL/min/{1.73_m2}']]);
    expect(brief('HIV viral load <20 copies/mL')).toEqual([['hiv-viral-load', '<20', '{copies}/mL']]);
  });

  test('"K 3.2 (L)": flag read, value kept', () => {
    expect(found('K 3.2 (L)')).toEqual([expect.objectContaining({ key: 'potassium', value: 3.2, flag: 'L', text: 'K 3.2 (L)' })]);
  });

  test('"Cr 1.8 <- 1.4 <- 1.1": the first value is the most recent; earlier ones are consumed, not reported', () => {
    expect(found('Cr 1.8 <- 1.4 <- 1.1, K 4.0')).toEqual([
      expect.objectContaining({ key: 'creatinine', value: 1.8, text: 'Cr 1.8 <- 1.4 <- 1.1' }),
      expect.objectContaining({ key: 'potassium', value: 4 }),
    ]);
    expect(brief('K 5.6 (H) <- 4.8')).toEqual([['potassium', 5.6, 'mmol/L']]);
  });

  test('"lactate 3.9 -> 1.7", "fell to": the later value is the most recent', () => {
    expect(brief('lactate 3.9 -> 1.7 after fluids')).toEqual([['lactate', 1.7, 'mmol/L']]);
    expect(brief('hematocrit of 30.1 that subsequently fell to 26.4')).toEqual([['hematocrit', 26.4, '%']]);
    expect(brief('chest pain 9 -> 3/10 after nitro')).toEqual([['pain-score', 3, '{score}']]);
    expect(found('BP 86/50 -> 110/64 after fluids')[0]).toEqual(expect.objectContaining({ value: [110, 64] }));
  });

  test('"Hgb 13.8/Hct 41" and "H/H 9.1/27": both values', () => {
    expect(brief('Hgb 13.8/Hct 41')).toEqual([['hemoglobin', 13.8, 'g/dL'], ['hematocrit', 41, '%']]);
    expect(brief('H/H 9.1/27.5')).toEqual([['hemoglobin', 9.1, 'g/dL'], ['hematocrit', 27.5, '%']]);
    expect(brief('H and H 12 and 36')).toEqual([['hemoglobin', 12, 'g/dL'], ['hematocrit', 36, '%']]);
  });

  test('fishbone-free lists and pipes', () => {
    expect(brief('Na 138, K 4.1, Cl 101, HCO3 24, BUN 22, Cr 1.3, Glu 140')).toEqual([
      ['sodium', 138, 'mmol/L'],
      ['potassium', 4.1, 'mmol/L'],
      ['chloride', 101, 'mmol/L'],
      ['carbon-dioxide', 24, 'mmol/L'],
      ['urea-nitrogen', 22, 'mg/dL'],
      ['creatinine', 1.3, 'mg/dL'],
      ['glucose', 140, 'mg/dL'],
    ]);
    expect(brief('WBC 3.1 (L) | ANC 1.2 (L) | Plt 95 (L)')).toEqual([
      ['leukocytes', 3.1, '10*3/uL'],
      ['neutrophils-absolute', 1.2, '10*3/uL'],
      ['platelets', 95, '10*3/uL'],
    ]);
  });

  test('a vitals line', () => {
    expect(brief('BP 142/88 HR 96 RR 18 T 37.9 SpO2 94% RA')).toEqual([
      ['blood-pressure', [142, 88], 'mm[Hg]'],
      ['heart-rate', 96, '/min'],
      ['respiratory-rate', 18, '/min'],
      ['body-temperature', 37.9, 'Cel'],
      ['oxygen-saturation', 94, '%'],
    ]);
  });

  test('an arterial blood gas written pH/pCO2/pO2/HCO3', () => {
    expect(brief('ABG 0415: 7.24 / 61 / 70 / 26 on BiPAP')).toEqual([
      ['arterial-ph', 7.24, '[pH]'],
      ['arterial-pco2', 61, 'mm[Hg]'],
      ['arterial-po2', 70, 'mm[Hg]'],
      ['arterial-bicarbonate', 26, 'mmol/L'],
    ]);
    expect(brief('ABG 9.5/400/2')).toEqual([]); // an implausible pH: no blood gas at all
  });

  test('counts as written: per microliter stays /uL; a differential written count-first', () => {
    expect(brief('platelet count 132,000')).toEqual([['platelets', 132000, '/uL']]);
    expect(brief('WBC 10,800.')).toEqual([['leukocytes', 10800, '/uL']]);
    expect(brief('differential 61 segs, 4 bands, 28 lymphocytes and 7 monocytes')).toEqual([
      ['neutrophils-percent', 61, '%'],
      ['bands', 4, '%'],
      ['lymphocytes-percent', 28, '%'],
      ['monocytes-percent', 7, '%'],
    ]);
    expect(brief('WBC 16.2 with 15% bands')).toEqual([['leukocytes', 16.2, '10*3/uL'], ['bands', 15, '%']]);
  });

  test('an oxygen saturation or a temperature written without its name', () => {
    expect(brief('pulse 88, 97% on room air, 98.9 degrees Fahrenheit')).toEqual([
      ['heart-rate', 88, '/min'],
      ['oxygen-saturation', 97, '%'],
      ['body-temperature', 98.9, '[degF]'],
    ]);
    expect(brief('knee flexion 90 degrees')).toEqual([]);
  });

  test('orthostatic postures are blood pressures', () => {
    expect(brief('Orthostatics: lying 128/80 HR 76, standing 104/66 HR 102')).toEqual([
      ['blood-pressure', [128, 80], 'mm[Hg]'],
      ['heart-rate', 76, '/min'],
      ['blood-pressure', [104, 66], 'mm[Hg]'],
      ['heart-rate', 102, '/min'],
    ]);
  });

  test('a censored value that is a threshold is no result', () => {
    expect(brief('transfuse for Hgb <7; wean pressors to MAP >65; hold until INR is greater than 2')).toEqual([]);
    expect(brief('treatment parameters (ANC >=1.5, Plt >=100)')).toEqual([]);
    expect(brief('Labs for today: troponin <0.01')).toEqual([['troponin-i', '<0.01', 'ng/mL']]);
  });

  test('an alias two analytes share reads as the one its value fits', () => {
    expect(brief('eos 320 cells/uL')).toEqual([['eosinophils-absolute', 320, '/uL']]);
    expect(brief('eos 5%')).toEqual([['eosinophils-percent', 5, '%']]);
    expect(brief('urine microalb/Cr 38 mg/g')).toEqual([['urine-albumin-creatinine', 38, 'mg/g']]);
  });

  test('a span of values is no single result; a name glued to a digit is no value', () => {
    expect(brief('synovitis R 2nd-3rd MCPs')).toEqual([]);
    expect(brief('temperature ranged from 99 to 101')).toEqual([]);
    expect(brief('HR 60-70s')).toEqual([]);
    expect(brief('calcium carbonate/vit D3 daily')).toEqual([]);
  });
});

test('labs.json is what models/lexicons/tools/build-lab-lexicon.mjs generates from the curated file and the LOINC rows it names', async () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const tools = join(root, 'models', 'lexicons', 'tools');
  // @ts-expect-error -- a plain ESM script without type declarations
  const { buildLabLexicon } = (await import('../../models/lexicons/tools/build-lab-lexicon.mjs')) as {
    buildLabLexicon: (curated: string, csv: string[]) => string;
  };
  const curated = readFileSync(join(tools, 'lab-lexicon-curated.json'), 'utf8');
  // The generator's rows of the Top 2000 lists (written beside it), so this runs without ../shared.
  const csv = [readFileSync(join(tools, 'loinc-top2000-subset.csv'), 'utf8')];
  expect(buildLabLexicon(curated, csv)).toBe(readFileSync(join(root, 'models', 'lexicons', 'labs.json'), 'utf8'));
  // a code outside the Top 2000 list needs its source named
  const bad = curated.replace('"key": "ferritin", "loinc": "2276-4"', '"key": "ferritin", "loinc": "99999-9"');
  expect(() => buildLabLexicon(bad, csv)).toThrow(/ferritin: 99999-9 is not in the LOINC Top 2000 list/);
});

test('a key defined in both files is refused', () => {
  const doc = JSON.stringify({ writtenUnits: {}, definitions: [{ key: 'x', kind: 'single', loinc: '1-1', aliases: ['x'], units: { '%': [0, 1] } }] });
  expect(() => parseMeasurementDefinitions(doc, JSON.stringify({ definitions: [{ key: 'x', kind: 'single', loinc: '1-1', aliases: ['y'], units: { '%': [0, 1] } }] }))).toThrow(/'x' is defined twice/);
});
