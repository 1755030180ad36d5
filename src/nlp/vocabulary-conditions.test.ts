/**
 * Condition vocabulary of the shipped index and the rule pipeline (issue 11): cancer of X, everyday and consumer
 * wording, terse abbreviations, and both SNOMED CT and ICD-10-CM on what is written. Sentences are paraphrased.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DictionaryIndex } from '../terminology/dictionary-index.js';
import { loadTerminologyIndex } from '../terminology/load-index.js';
import { ICD10CM, SNOMED } from '../terminology/systems.js';
import type { Concept } from '../terminology/types.js';
import { createRulePipeline } from './pipeline.js';
import type { NlpPipeline } from './types.js';

let index: DictionaryIndex;
let pipeline: NlpPipeline;
beforeAll(async () => {
  index = await loadTerminologyIndex();
  pipeline = createRulePipeline({ terminology: index });
});

const codes = (c: Concept | undefined, system: string): string[] =>
  (c?.codings ?? []).filter((x) => x.system === system).map((x) => x.code);
const matched = (text: string, phrase: string): Concept | undefined =>
  index.match(text).find((m) => text.slice(m.start, m.end).toLowerCase() === phrase.toLowerCase())?.concept;
async function problem(text: string, phrase: string): Promise<Concept | undefined> {
  const { mentions } = await pipeline.analyze(text);
  const start = text.indexOf(phrase);
  return mentions.find((m) => m.kind === 'problem' && m.span.start === start && m.span.end === start + phrase.length)?.concept;
}

describe('cancer of X ↔ malignant neoplasm of X', () => {
  it.each([
    ['Hx of breast cancer, s/p lumpectomy.', 'breast cancer', 'C50.919'],
    ['Mother had breast CA.', 'breast CA', 'C50.919'],
    ['New diagnosis of lung cancer.', 'lung cancer', undefined],
    ['Colon ca resected in 2019.', 'Colon ca', 'C18.9'],
    ['Prostate cancer on surveillance.', 'Prostate cancer', 'C61'],
    ['Metastatic pancreatic cancer.', 'pancreatic cancer', 'C25.9'],
  ])('%j codes %j', (text, phrase, icd) => {
    const c = matched(text, phrase);
    expect(c?.group).toBe('disorder');
    expect(codes(c, SNOMED).length).toBe(1);
    if (icd) expect(codes(c, ICD10CM)).toEqual([icd]);
    expect(c?.display.toLowerCase()).toMatch(/malignant|neoplasm/);
  });

  it('codes metastases to a site as the secondary neoplasm', () => {
    expect(codes(matched('CT shows liver metastases.', 'liver metastases'), ICD10CM)).toEqual(['C78.7']);
  });
});

describe('everyday wording reaches the code a coder records (SNOMED CT and ICD-10-CM)', () => {
  it.each([
    ['Itchy rash on both arms.', 'rash', '271807003', 'R21'],
    ['Diaphoretic on arrival.', 'Diaphoretic', '415690000', 'R61'],
    ['Back pain after lifting.', 'Back pain', '161891005', 'M54.9'],
    ['Chronic back pain.', 'Chronic back pain', '134407002', 'M54.9'],
    ['10 lb weight loss over 2 months.', 'weight loss', '267024001', 'R63.4'],
    ['Acute kidney injury, likely prerenal.', 'Acute kidney injury', '14669001', 'N17.9'],
    ['Former smoker, quit 2010.', 'Former smoker', '8517006', 'Z87.891'],
    ['Severe aortic stenosis on echo.', 'aortic stenosis', '60573004', 'I35.0'],
    ['Moderate mitral regurgitation.', 'mitral regurgitation', '48724000', 'I34.0'],
    ['Hepatitis C, treated.', 'Hepatitis C', '50711007', 'B19.20'],
    ['Soft systolic murmur.', 'systolic murmur', '88610006', 'R01.1'],
    ['Urinary frequency and urgency.', 'Urinary frequency', '162116003', 'R35.0'],
    ['Bibasilar crackles.', 'Bibasilar crackles', '48409008', 'R09.89'],
    ['Hair loss and oral ulcers.', 'Hair loss', '56317004', 'L65.9'],
  ])('%j → %s', (text, phrase, snomed, icd) => {
    const c = matched(text, phrase);
    expect(codes(c, SNOMED)).toContain(snomed);
    expect(codes(c, ICD10CM)).toEqual([icd]);
  });

  it('codes shortness of breath to R06.02, the specific code the words state', () => {
    expect(codes(matched('Progressive shortness of breath.', 'shortness of breath'), ICD10CM)).toEqual(['R06.02']);
    expect(codes(matched('c/o SOB x2 days', 'SOB'), ICD10CM)).toEqual(['R06.02']);
    expect(codes(matched('Dyspnea at rest.', 'Dyspnea'), ICD10CM)).toEqual(['R06.00']);
  });

  it('codes ICD-10-CM-only findings by their everyday names', () => {
    expect(codes(matched('Digital clubbing noted.', 'Digital clubbing'), ICD10CM)).toEqual(['R68.3']);
    expect(codes(matched('Episode of presyncope.', 'presyncope'), ICD10CM)).toEqual(['R55']);
    expect(codes(matched('Elevated troponin, demand.', 'Elevated troponin'), ICD10CM)).toEqual(['R79.89']);
  });
});

describe('terse abbreviations through the rule pipeline', () => {
  it.each([
    ['Admitted for AECOPD.', 'AECOPD', 'J44.1'],
    ['Chest tube for PTX.', 'PTX', 'J93.9'],
    ['RLL PNA on CXR.', 'PNA', 'J18.9'],
    ['CHF exacerbation, diuresing.', 'CHF exacerbation', 'I50.9'],
    ['Recurrent UTI.', 'UTI', 'N39.0'],
    ['AKI on admission.', 'AKI', 'N17.9'],
    ['CKD3 followed by nephrology.', 'CKD3', 'N18.30'],
    ['Afib on apixaban.', 'Afib', 'I48.91'],
    ['HLD on statin.', 'HLD', 'E78.5'],
    ['GERD, controlled.', 'GERD', 'K21.9'],
    ['OSA on CPAP.', 'OSA', 'G47.33'],
    ['BPH with LUTS.', 'BPH', 'N40.0'],
    ['DVT, on anticoagulation.', 'DVT', 'I82.409'],
    ['Left leg DVT.', 'DVT', 'I82.402'],
    ['PAF, rate controlled.', 'PAF', 'I48.0'],
    ['Wakes with PND.', 'PND', 'R06.00'],
    ['Uses tobacco daily.', 'Uses tobacco', 'Z72.0'],
    ['Denies tobacco or alcohol.', 'tobacco', 'Z72.0'],
    ['Oral thrush on exam.', 'Oral thrush', 'B37.0'],
  ])('%j: %s → %s', async (text, phrase, icd) => {
    expect(codes(await problem(text, phrase), ICD10CM)).toContain(icd);
  });

  it('codes N/V and "nausea and vomiting" as nausea and vomiting apart, as a coder records them', async () => {
    for (const [text, phrase] of [['Denies N/V.', 'N/V'], ['Nausea and vomiting since noon.', 'Nausea and vomiting']]) {
      const { mentions } = await pipeline.analyze(text);
      const start = text.indexOf(phrase);
      const found = mentions.filter((m) => m.kind === 'problem' && m.span.start === start).map((m) => codes(m.concept, ICD10CM));
      expect(found).toEqual([['R11.0'], ['R11.10']]);
    }
  });
});
