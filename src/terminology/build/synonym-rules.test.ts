import { describe, expect, it } from 'vitest';
import { conditionVariants, dropUnstatedQualifiers } from './synonym-rules.js';

describe('generated condition synonyms', () => {
  it('gives cancer wording for malignant neoplasms of a site, from ICD-10-CM and SNOMED CT names', () => {
    const lung = conditionVariants('Malignant neoplasm of unspecified part of unspecified bronchus or lung');
    expect(lung).toEqual(expect.arrayContaining(['lung cancer', 'cancer of lung', 'carcinoma of lung', 'lung ca', 'lung malignancy']));
    const colon = conditionVariants('Malignant tumor of colon');
    expect(colon).toEqual(expect.arrayContaining(['colon cancer', 'colon carcinoma', 'colon ca', 'ca of colon', 'colonic cancer']));
    expect(conditionVariants('Malignant neoplasm of pancreas, unspecified')).toEqual(expect.arrayContaining(['pancreatic cancer']));
    expect(conditionVariants('Malignant neoplasm of unspecified site of unspecified female breast')).toEqual(
      expect.arrayContaining(['breast cancer', 'cancer of breast'])
    );
    expect(conditionVariants('Primary malignant neoplasm of prostate')).toEqual(expect.arrayContaining(['prostate cancer']));
  });

  it('gives metastasis wording for secondary malignant neoplasms, never primary cancer wording', () => {
    const liver = conditionVariants('Secondary malignant neoplasm of liver and intrahepatic bile duct');
    expect(liver).toEqual(expect.arrayContaining(['liver metastases', 'metastasis to liver']));
    expect(liver).not.toContain('liver cancer');
  });

  it('keeps and drops parenthesised words, drops "valve" and reads valve insufficiency as regurgitation', () => {
    expect(conditionVariants('Nonrheumatic aortic (valve) stenosis')).toEqual(
      expect.arrayContaining(['aortic valve stenosis', 'aortic stenosis'])
    );
    expect(conditionVariants('Nonrheumatic mitral (valve) insufficiency')).toEqual(expect.arrayContaining(['mitral regurgitation']));
    expect(conditionVariants('Tricuspid valve regurgitation')).toEqual(expect.arrayContaining(['tricuspid regurgitation']));
  });

  it('drops qualifiers a note leaves out', () => {
    expect(conditionVariants('Unspecified viral hepatitis C without hepatic coma')).toEqual(expect.arrayContaining(['hepatitis c']));
    expect(dropUnstatedQualifiers('Pain in unspecified knee')).toBe('Pain in knee');
    expect(dropUnstatedQualifiers('Otitis media, unspecified, unspecified ear')).toBe('Otitis media');
    expect(dropUnstatedQualifiers('Acute kidney failure, unspecified')).toBe('Acute kidney failure');
    expect(dropUnstatedQualifiers('Type 2 diabetes mellitus without complications')).toBe('Type 2 diabetes mellitus');
  });

  it('gives no plain wording to subsequent encounters and sequelae', () => {
    expect(conditionVariants('Fracture of unspecified part of neck of right femur, subsequent encounter for closed fracture with routine healing')).toEqual([]);
    expect(conditionVariants('Burn of unspecified degree of head, face, and neck, sequela')).toEqual([]);
  });
});
