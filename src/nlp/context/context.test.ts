import { describe, expect, test } from 'vitest';
import { assertTarget } from '../assert-target.js';
import { readRuleLexicons } from '../lexicons/rule-lexicons.js';
import { tokenize } from '../tokenize.js';
import { runContext } from './context.js';
import { parseContextLexicon } from './lexicon.js';

const lexicons = readRuleLexicons();

function judge(text: string, target: string, occurrence = 0): ReturnType<typeof assertTarget> {
  let start = -1;
  for (let i = 0; i <= occurrence; i++) start = text.indexOf(target, start + 1);
  if (start < 0) throw new Error('target not in text');
  return assertTarget(text, { start, end: start + target.length }, lexicons);
}
const assertion = (text: string, target: string, occurrence = 0): string => judge(text, target, occurrence).assertion;

describe('ConText: negation', () => {
  test('pre-negation triggers', () => {
    expect(assertion('Patient denies chest pain.', 'chest pain')).toBe('negated');
    expect(assertion('No evidence of pneumothorax.', 'pneumothorax')).toBe('negated');
    expect(assertion('Negative for malignancy.', 'malignancy')).toBe('negated');
    expect(assertion('Abdomen soft without tenderness.', 'tenderness')).toBe('negated');
    expect(assertion('Chest pain.', 'Chest pain')).toBe('affirmed');
  });

  test('lists: "no fever, chills or cough" negates all three', () => {
    const text = 'No fever, chills or cough.';
    expect(['fever', 'chills', 'cough'].map((t) => assertion(text, t))).toEqual(['negated', 'negated', 'negated']);
    const long = 'He denies any palpitations, shortness of breath, chest pain, headache, or lightheadedness.';
    expect(assertion(long, 'lightheadedness')).toBe('negated');
  });

  test('post-negation triggers look backwards', () => {
    expect(assertion('Pulmonary embolism was ruled out.', 'Pulmonary embolism')).toBe('negated');
    expect(assertion('Pneumonia is unlikely.', 'Pneumonia')).toBe('negated');
    expect(assertion('Fever: none.', 'Fever')).toBe('negated');
  });

  test('"-free" negates only the word it is attached to; a "salt-free diet" negates nothing', () => {
    const text = 'The patient is on digoxin, furosemide and a salt-free diet.';
    expect(assertion(text, 'digoxin')).toBe('affirmed');
    expect(assertion(text, 'furosemide')).toBe('affirmed');
    expect(assertion('She has been pain free since surgery.', 'pain')).toBe('negated');
  });

  test('pseudo-triggers do not negate', () => {
    expect(assertion('There is no increase in the pleural effusion.', 'pleural effusion')).toBe('affirmed');
    expect(assertion('Cultures grew gram negative rods.', 'rods')).toBe('affirmed');
    expect(assertion('Not only fever but also rash.', 'fever')).toBe('affirmed');
    expect(assertion('Walked without difficulty; has knee pain.', 'knee pain')).toBe('affirmed');
  });

  test('termination terms end the scope', () => {
    expect(assertion('No fever but has a productive cough.', 'productive cough')).toBe('affirmed');
    expect(assertion('No edema; however, there is erythema.', 'erythema')).toBe('affirmed');
    expect(assertion('Denies chest pain aside from the chronic back pain.', 'back pain')).toBe('affirmed');
    expect(assertion('denies chest pain; BP 151/93', 'BP')).toBe('affirmed');
  });

  test('the scope ends with the sentence', () => {
    expect(assertion('No fever. Cough is worse.', 'Cough')).toBe('affirmed');
  });
});

describe('ConText: possible, historical, hypothetical', () => {
  test('possible', () => {
    expect(assertion('Chest pain, rule out MI.', 'MI')).toBe('possible');
    expect(assertion('Findings are suspicious for malignancy.', 'malignancy')).toBe('possible');
    expect(assertion('Possible pneumonia in the left lower lobe.', 'pneumonia')).toBe('possible');
  });

  test('historical', () => {
    expect(assertion('She has a history of breast cancer.', 'breast cancer')).toBe('historical');
    expect(assertion('Status post appendectomy.', 'appendectomy')).toBe('historical');
    expect(assertion('He had a previous diagnosis of depression in the past.', 'depression')).toBe('historical');
    expect(assertion('History and physical: cough.', 'cough')).toBe('affirmed');
  });

  test('hypothetical', () => {
    expect(assertion('Return to the ED if chest pain recurs.', 'chest pain')).toBe('hypothetical');
    expect(assertion('Call for any weight gain, fever, swelling or shortness of breath.', 'shortness of breath')).toBe('hypothetical');
    expect(assertion('She should return if she experiences nausea or vomiting.', 'vomiting')).toBe('hypothetical');
  });
});

describe('ConText: experiencer', () => {
  test('relatives as HL7 v3 RoleCode', () => {
    expect(judge('Mother with breast cancer.', 'breast cancer')).toMatchObject({ assertion: 'family', relative: 'MTH' });
    expect(judge("Her father's stroke at 60.", 'stroke')).toMatchObject({ assertion: 'family', relative: 'FTH' });
    expect(judge('Diabetes in his sister.', 'Diabetes')).toMatchObject({ assertion: 'family', relative: 'SIS' });
    expect(judge('Maternal grandmother had colon cancer.', 'colon cancer')).toMatchObject({ relative: 'MGRMTH' });
    expect(judge('Family history of early CAD.', 'CAD')).toMatchObject({ assertion: 'family', relative: 'FAMMEMB' });
  });

  test('someone outside the family is another experiencer, not the patient', () => {
    expect(judge('Her roommate has strep throat.', 'strep throat')).toMatchObject({
      assertion: 'family',
      relative: 'ROOM',
      context: { experiencer: 'other' },
    });
  });

  test('"brought in by his family" is not a family history', () => {
    expect(assertion('He was brought in by his family with confusion.', 'confusion')).toBe('affirmed');
  });

  test('negation wins over family: "no family history of X"', () => {
    expect(judge('No family history of colon cancer.', 'colon cancer')).toMatchObject({
      assertion: 'negated',
      context: { negation: 'negated', experiencer: 'family' },
    });
  });
});

describe('ConText: section context combines with sentence context', () => {
  const note = [
    'PAST MEDICAL HISTORY: Hypertension. No diabetes.',
    'FAMILY HISTORY: Breast cancer. Her brother has asthma. No colon cancer.',
    'SOCIAL HISTORY: Quit smoking in 2001.',
    'PLAN: Return if fever.',
  ].join('\n');
  test.each([
    ['Hypertension', 'historical', undefined],
    ['diabetes', 'negated', undefined],
    ['Breast cancer', 'family', 'FAMMEMB'],
    ['asthma', 'family', 'BRO'],
    ['colon cancer', 'negated', undefined],
    ['smoking', 'negated', undefined],
    ['fever', 'hypothetical', undefined],
  ])('%s -> %s', (target, expected, relative) => {
    const result = judge(note, target);
    expect(result.assertion).toBe(expected);
    expect(result.relative).toBe(relative);
  });
});

describe('runContext', () => {
  test('reports the deciding trigger offsets', () => {
    const text = 'Denies fever.';
    const tokens = tokenize(text);
    const [decision] = runContext(tokens, 0, tokens.length, [{ startToken: 1, endToken: 2 }], lexicons.context);
    expect(decision.negation).toBe('negated');
    expect(decision.triggers).toEqual([{ start: 0, end: 6, category: 'negated' }]);
  });

  test('a trigger inside the target is not a trigger', () => {
    const lexicon = parseContextLexicon('no\tnegated\tforward\t\ttest\n');
    const text = 'no known allergies';
    const tokens = tokenize(text);
    const [decision] = runContext(tokens, 0, 3, [{ startToken: 0, endToken: 3 }], lexicon);
    expect(decision.negation).toBe('affirmed');
  });

  test('a malformed lexicon row names its line', () => {
    expect(() => parseContextLexicon('# x\nno\tnegation\tforward\n')).toThrow(/line 2/);
  });
});
