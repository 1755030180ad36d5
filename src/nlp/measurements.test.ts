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
