import { describe, expect, test } from 'vitest';
import { parseSig } from './medication-sig.js';
import { detectMedicationStatus } from './medication-status.js';

const sig = (s: string) => parseSig(s, 0, s.length);

describe('parseSig', () => {
  test.each([
    ['500 mg PO BID', { dose: { value: 500, unit: 'mg' }, route: 'oral', timing: { frequency: 2, period: 1, periodUnit: 'd', code: 'BID' } }],
    ['10 mg p.o. daily', { dose: { value: 10, unit: 'mg' }, route: 'oral', timing: { frequency: 1, period: 1, periodUnit: 'd', code: 'QD' } }],
    ['1 g IV q8h', { dose: { value: 1, unit: 'g' }, route: 'iv', timing: { frequency: 1, period: 8, periodUnit: 'h', code: 'Q8H' } }],
    ['40 units SQ at bedtime', { dose: { value: 40, unit: '[U]' }, route: 'subcutaneous', timing: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'], code: 'BED' } }],
    ['10 mg PO QHS', { timing: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'], code: 'BED' } }],
    ['25 mg t.i.d.', { timing: { frequency: 3, period: 1, periodUnit: 'd', code: 'TID' } }],
    ['500 mg QID', { timing: { frequency: 4, period: 1, periodUnit: 'd', code: 'QID' } }],
    ['70 mg PO weekly', { timing: { frequency: 1, period: 1, periodUnit: 'wk', code: 'WK' } }],
    ['2 mg q4h', { timing: { frequency: 1, period: 4, periodUnit: 'h', code: 'Q4H' } }],
    ['1 mg every other day', { timing: { frequency: 1, period: 2, periodUnit: 'd', code: 'QOD' } }],
    ['0.1 mg IM once a month', { route: 'im', timing: { frequency: 1, period: 1, periodUnit: 'mo', code: 'MO' } }],
    ['2 puffs inhaled twice daily', { dose: { value: 2, unit: '{puff}' }, route: 'inhaled', timing: { frequency: 2, period: 1, periodUnit: 'd', code: 'BID' } }],
    ['apply topically twice a day', { route: 'topical', timing: { frequency: 2, period: 1, periodUnit: 'd', code: 'BID' } }],
    ['10 mg PR q12h', { route: 'rectal', timing: { frequency: 1, period: 12, periodUnit: 'h' } }],
    ['0.4 mg SL', { dose: { value: 0.4, unit: 'mg' }, route: 'sublingual' }],
    ['81 mg daily with meals', { timing: { frequency: 1, period: 1, periodUnit: 'd', code: 'QD', when: ['C'] } }],
    ['2-3 times a day', { timing: { frequency: 2, frequencyMax: 3, period: 1, periodUnit: 'd' } }],
  ])('%s', (text, expected) => {
    expect(sig(text)).toMatchObject(expected);
  });

  test('q6-8h prn with its reason', () => {
    const text = '5 mg PO q6-8h prn pain';
    const s = sig(text);
    expect(s.timing).toEqual({ frequency: 1, period: 6, periodMax: 8, periodUnit: 'h' });
    expect(s.asNeeded).toBe(true);
    expect(text.slice(s.asNeededFor!.start, s.asNeededFor!.end)).toBe('pain');
    expect(s.span).toEqual({ start: 0, end: text.length });
  });

  test('"as needed for" a multi-word reason', () => {
    const text = '2 puffs q4h as needed for shortness of breath';
    const s = sig(text);
    expect(s.asNeeded).toBe(true);
    expect(text.slice(s.asNeededFor!.start, s.asNeededFor!.end)).toBe('shortness of breath');
  });

  test('duration: "x 10 days", "for 2 weeks"', () => {
    expect(sig('500 mg PO TID x 10 days').duration).toEqual({ value: 10, unit: 'd' });
    expect(sig('20 mg daily for 2 weeks').duration).toEqual({ value: 2, unit: 'wk' });
  });

  test('strength and count dose together', () => {
    expect(sig('500 mg tablet, take 2 tablets by mouth daily')).toMatchObject({
      strength: { value: 500, unit: 'mg' },
      dose: { value: 2, unit: '{tbl}' },
      route: 'oral',
    });
  });

  test('stops at the first word that is not part of a sig', () => {
    const text = ' 20 mg daily for his blood pressure';
    expect(parseSig(text, 0, text.length).span).toEqual({ start: 1, end: 12 });
    expect(parseSig('and feels well', 0, 14)).toEqual({});
  });

  test('never reads past the limit', () => {
    const text = '500 mg PO BID lisinopril 10 mg daily';
    expect(parseSig(text, 0, 14).timing?.code).toBe('BID');
    expect(parseSig(text, 0, 14).span).toEqual({ start: 0, end: 13 });
  });
});

describe('detectMedicationStatus', () => {
  const status = (text: string, drug: string, section?: Parameters<typeof detectMedicationStatus>[4], negated = false) => {
    const start = text.indexOf(drug);
    return detectMedicationStatus(text, { start: 0, end: text.length }, { start, end: start + drug.length }, start + drug.length, section, negated);
  };
  test.each([
    ['Start metformin 500 mg BID.', 'metformin', 'intended'],
    ['Will start metformin.', 'metformin', 'intended'],
    ['She was started on metformin last year.', 'metformin', 'active'],
    ['Stop lisinopril.', 'lisinopril', 'stopped'],
    ['Discontinue lisinopril.', 'lisinopril', 'stopped'],
    ['D/C lisinopril.', 'lisinopril', 'stopped'],
    ['Lisinopril was discontinued.', 'Lisinopril', 'stopped'],
    ['Hold warfarin.', 'warfarin', 'on-hold'],
    ['Warfarin was held for an INR of 4.', 'Warfarin', 'on-hold'],
    ['Continue albuterol.', 'albuterol', 'active'],
    ['He is not taking his aspirin.', 'aspirin', 'not-taken'],
    ['She is on metformin.', 'metformin', 'active'],
    ['Aspirin given in the ED.', 'Aspirin', 'completed'],
    ['Received ceftriaxone 1 g IV x1.', 'ceftriaxone', 'completed'],
    ['Restart amlodipine at home dose.', 'amlodipine', 'intended'],
    ['Amlodipine was resumed on day 2.', 'Amlodipine', 'active'],
    ['metformin - HOLD until seen by PCP.', 'metformin', 'on-hold'],
    ['glyburide - DISCONTINUED (hypoglycemia).', 'glyburide', 'stopped'],
  ] as const)('%s -> %s', (text, drug, expected) => {
    expect(status(text, drug)).toBe(expected);
  });

  test('section defaults: medication lists are active, plans intended, elsewhere unknown; negated is not-taken', () => {
    expect(status('Metformin 500 mg BID.', 'Metformin', 'discharge-medications')).toBe('active');
    expect(status('Metformin 500 mg BID.', 'Metformin', 'medications')).toBe('active');
    expect(status('Metformin 500 mg BID.', 'Metformin', 'plan')).toBe('intended');
    expect(status('Metformin helps.', 'Metformin', 'history-present-illness')).toBe('unknown');
    expect(status('No aspirin.', 'aspirin', undefined, true)).toBe('not-taken');
  });

  test('issue 14 item 14: a drug stated with its dose or frequency and no cue, outside any section, is active', () => {
    const text = 'Lisinopril 10 mg daily.';
    const sigEnd = text.indexOf('.');
    expect(detectMedicationStatus(text, { start: 0, end: text.length }, { start: 0, end: 10 }, sigEnd, undefined, false)).toBe('active');
    expect(detectMedicationStatus(text, { start: 0, end: text.length }, { start: 0, end: 10 }, 10, undefined, false)).toBe('unknown'); // no sig
  });
});

describe('parseSig: tapers and "X then Y" become phases', () => {
  test('rivaroxaban loading then maintenance (issue 13): 15 mg BID for 21 days, then 20 mg daily', () => {
    const text = '15 mg PO BID for 21 days then 20 mg PO daily';
    const parsed = sig(text);
    expect(parsed).toMatchObject({
      dose: { value: 15, unit: 'mg' },
      route: 'oral',
      timing: { frequency: 2, period: 1, periodUnit: 'd', code: 'BID' },
      duration: { value: 21, unit: 'd' },
      then: { dose: { value: 20, unit: 'mg' }, route: 'oral', timing: { frequency: 1, period: 1, periodUnit: 'd', code: 'QD' } },
    });
    expect(parsed.timing).not.toHaveProperty('when');
    expect(text.slice(parsed.span?.start, parsed.span?.end)).toBe('15 mg PO BID for 21 days');
    expect(text.slice(parsed.then?.span?.start, parsed.then?.span?.end)).toBe('20 mg PO daily');
  });

  test('a three-step taper, with "followed by"', () => {
    const parsed = sig('40 mg daily x 5 days, then 20 mg daily x 5 days, followed by 10 mg daily');
    expect([parsed.dose?.value, parsed.then?.dose?.value, parsed.then?.then?.dose?.value]).toEqual([40, 20, 10]);
    expect(parsed.then?.duration).toEqual({ value: 5, unit: 'd' });
    expect(parsed.then?.then?.then).toBeUndefined();
  });

  test('"then" without a following dose or frequency is no phase; two frequencies never leave an empty when', () => {
    expect(sig('10 mg daily then recheck').then).toBeUndefined();
    expect(sig('5 mg qhs then').then).toBeUndefined();
    const merged = sig('10 mg BID daily');
    expect(merged.timing).not.toHaveProperty('when');
  });
});
