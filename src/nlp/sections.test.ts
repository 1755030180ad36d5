import { describe, expect, test } from 'vitest';
import { readRuleLexicons } from './lexicons/rule-lexicons.js';
import { compileSectionTable, detectSections, findSubheaderStarts, parseSectionHeaders } from './sections.js';
import { splitSentences } from './sentences.js';
import { tokenize } from './tokenize.js';

const { sections: table } = readRuleLexicons();
const detect = (text: string) => detectSections(text, tokenize(text), table);
const headers = (text: string) => detect(text).map((s) => [s.kind, text.slice(s.header.start, s.header.end)]);

describe('detectSections', () => {
  test.each([
    ['HPI: cough', 'history-present-illness', '10164-2'],
    ['History of Present Illness: cough', 'history-present-illness', '10164-2'],
    ['PMH: asthma', 'past-medical-history', '11348-0'],
    ['Past Medical History: asthma', 'past-medical-history', '11348-0'],
    ['Meds: none', 'medications', '10160-0'],
    ['Current Medications: none', 'medications', '10160-0'],
    ['Allergies: NKDA', 'allergies', '48765-2'],
    ['FHx: CAD', 'family-history', '10157-6'],
    ['Family History: CAD', 'family-history', '10157-6'],
    ['Social History: no tobacco', 'social-history', '29762-2'],
    ['ROS: negative', 'review-of-systems', '10187-3'],
    ['Physical Exam: normal', 'physical-exam', '29545-1'],
    ['PE: normal', 'physical-exam', '29545-1'],
    ['Vitals: BP 120/80', 'vital-signs', '8716-3'],
    ['Labs: Na 140', 'results', '30954-2'],
    ['Results: Na 140', 'results', '30954-2'],
    ['Assessment: CAP', 'assessment', '51848-0'],
    ['Plan: antibiotics', 'plan', '18776-5'],
    ['A/P: CAP, antibiotics', 'assessment-and-plan', '51847-2'],
    ['Impression: CAP', 'impression', '19005-8'],
    ['Hospital Course: uneventful', 'hospital-course', '8648-8'],
    ['Discharge Medications: aspirin', 'discharge-medications', '10183-2'],
    ['Chief Complaint: cough', 'chief-complaint', '10154-3'],
    ['CC: cough', 'chief-complaint', '10154-3'],
  ])('%s -> %s (%s)', (text, kind, loinc) => {
    const [section] = detect(text);
    expect(section).toMatchObject({ kind, loinc, header: { start: 0, end: text.indexOf(':') + 1 } });
    expect(text.slice(section.body.start, section.body.end)).toBe(text.slice(text.indexOf(':') + 2));
  });

  test('a header alone on its line, any case, with or without a colon', () => {
    const text = 'Assessment\nPneumonia.\nPLAN\nAntibiotics.';
    expect(headers(text)).toEqual([
      ['assessment', 'Assessment'],
      ['plan', 'PLAN'],
    ]);
  });

  test('inline capital headers of transcribed notes (MTSamples layout)', () => {
    const text = 'CHIEF COMPLAINT:,  Cough.,PAST MEDICAL HISTORY:, Asthma.,MEDICATIONS: , None.';
    expect(headers(text)).toEqual([
      ['chief-complaint', 'CHIEF COMPLAINT:'],
      ['past-medical-history', 'PAST MEDICAL HISTORY:'],
      ['medications', 'MEDICATIONS:'],
    ]);
    const sections = detect(text);
    expect(text.slice(sections[1].body.start, sections[1].body.end)).toBe('Asthma.');
  });

  test('body-system sub-headers split sentences but stay inside their section', () => {
    const text = 'PHYSICAL EXAMINATION:,HEENT:  Normal.,LUNGS:  Clear.,ABDOMEN:  Soft.';
    expect(headers(text)).toEqual([['physical-exam', 'PHYSICAL EXAMINATION:']]);
    const tokens = tokenize(text);
    const sentences = splitSentences(text, detect(text), findSubheaderStarts(text, tokens, table));
    expect(sentences.map((s) => text.slice(s.start, s.end))).toEqual(['HEENT:  Normal.', 'LUNGS:  Clear.', 'ABDOMEN:  Soft.']);
  });

  test('an unknown capitalised header starts an `other` section; lower-case text with a colon does not', () => {
    const text = 'FAMILY HISTORY: Diabetes.\nMISCELLANEOUS/EATING HISTORY: Diets.\nhe said: fine';
    expect(headers(text)).toEqual([
      ['family-history', 'FAMILY HISTORY:'],
      ['other', 'MISCELLANEOUS/EATING HISTORY:'],
    ]);
  });

  test('text before the first header is an untitled preamble; no headers, no sections', () => {
    const text = 'Seen today.\nPlan: rest.';
    const sections = detect(text);
    expect(sections[0]).toMatchObject({ kind: 'other', header: { start: 0, end: 0 }, body: { start: 0, end: 11 } });
    expect(sections[1].kind).toBe('plan');
    expect(detect('Just a sentence about a patient.')).toEqual([]);
  });

  test('PE as a header, not as pulmonary embolism inside a sentence', () => {
    expect(headers('PE: normal exam')).toEqual([['physical-exam', 'PE:']]);
    expect(headers('Concern for PE: will get CTA')).toEqual([]);
  });

  test('a malformed table row names its line', () => {
    expect(() => compileSectionTable(parseSectionHeaders('# c\nplan\tnot-a-kind\tplan\t\t\n'))).toThrow(/line 2/);
  });
});
