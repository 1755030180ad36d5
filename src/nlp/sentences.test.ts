import { describe, expect, test } from 'vitest';
import { readRuleLexicons } from './lexicons/rule-lexicons.js';
import { detectSections, findSubheaderStarts } from './sections.js';
import { splitSentences } from './sentences.js';
import { tokenize } from './tokenize.js';

const { sections: table } = readRuleLexicons();

function split(text: string): string[] {
  const tokens = tokenize(text);
  const sections = detectSections(text, tokens, table);
  return splitSentences(text, sections, findSubheaderStarts(text, tokens, table)).map((s) => text.slice(s.start, s.end));
}

describe('splitSentences', () => {
  test('line-wrapped paragraphs stay one sentence', () => {
    const text = 'The patient is a 64-year-old man with a long history of\nhypertension and diabetes who presents with chest pain\nradiating to the left arm. He is diaphoretic.';
    expect(split(text)).toEqual([
      'The patient is a 64-year-old man with a long history of\nhypertension and diabetes who presents with chest pain\nradiating to the left arm.',
      'He is diaphoretic.',
    ]);
  });

  test('bulleted and numbered lists: one item per sentence', () => {
    expect(split('Plan:\n- aspirin 81 mg daily\n- atorvastatin 40 mg qhs\n* follow up in 2 weeks')).toEqual([
      '- aspirin 81 mg daily',
      '- atorvastatin 40 mg qhs',
      '* follow up in 2 weeks',
    ]);
    expect(split('1. Pneumonia.\n2. Asthma.\n3) Anemia')).toEqual(['1. Pneumonia.', '2. Asthma.', '3) Anemia']);
    expect(split('PLAN:,1.  Start Zyrtec.  Recheck in a week.,2.  Nasonex two sprays daily.')).toEqual([
      '1.  Start Zyrtec.',
      'Recheck in a week.',
      '2.  Nasonex two sprays daily.',
    ]);
  });

  test('titles, initials, dotted sig abbreviations and decimals do not end sentences', () => {
    expect(split('Seen by Dr. Smith and Mr. J. Jones today. Creatinine 1.2 mg/dL, stable.')).toEqual([
      'Seen by Dr. Smith and Mr. J. Jones today.',
      'Creatinine 1.2 mg/dL, stable.',
    ]);
    expect(split('Metformin 500 mg p.o. b.i.d. and lisinopril 10 mg p.o. daily. He feels well.')).toEqual([
      'Metformin 500 mg p.o. b.i.d. and lisinopril 10 mg p.o. daily.',
      'He feels well.',
    ]);
  });

  test('a vitals run is one sentence', () => {
    expect(split('BP 120/80, HR 72, RR 16, T 98.6 F, SpO2 99% RA.')).toEqual(['BP 120/80, HR 72, RR 16, T 98.6 F, SpO2 99% RA.']);
  });

  test('short lines stand alone; section headers are never part of a sentence', () => {
    expect(split('Vitals:\nBP 142/88\nHR 90\n\nAssessment: stable angina')).toEqual(['BP 142/88', 'HR 90', 'stable angina']);
  });

  test('question and exclamation marks, CRLF line ends', () => {
    expect(split('Any pain? None!\r\nDenies fever.')).toEqual(['Any pain?', 'None!', 'Denies fever.']);
  });

  test('every sentence is trimmed and empty input gives none', () => {
    expect(split('')).toEqual([]);
    expect(split('   \n\n  ')).toEqual([]);
    expect(split('  Hello there.  ')).toEqual(['Hello there.']);
  });
});
