import { describe, expect, it } from 'vitest';
import { bagKey, normalizeWord, semanticTagOf, stem, stripSemanticTag, termKey, tokenize } from './normalize.js';

describe('normalisation', () => {
  it('folds case, punctuation, hyphens, plurals and simple inflections the same way for terms and text', () => {
    expect(termKey('Urinary Tract Infections')).toBe(termKey('urinary tract infection'));
    expect(termKey('Type-2 diabetes')).toBe(termKey('type 2 diabetes'));
    expect(termKey('Allergies')).toBe(termKey('allergy'));
    expect(termKey('wheezing')).toBe(termKey('wheeze'));
    expect(termKey('Alzheimer’s disease')).toBe(termKey("alzheimer's disease"));
    expect(termKey('pain in the chest')).toBe('pain chest');
  });

  it('folds British spellings and roman numerals after type/stage', () => {
    expect(termKey('anaemia')).toBe(termKey('anemia'));
    expect(termKey('oesophagitis')).toBe(termKey('esophagitis'));
    expect(termKey('haemorrhage')).toBe(termKey('hemorrhage'));
    expect(termKey('type II diabetes')).toBe(termKey('type 2 diabetes'));
    expect(termKey('CKD stage IV')).toBe(termKey('ckd stage 4'));
    expect(normalizeWord('IV')).toBe('iv');
  });

  it('leaves short words and known non-plurals alone', () => {
    expect(stem('aids')).toBe('aids');
    expect(stem('sepsis')).toBe('sepsis');
    expect(stem('legs')).toBe('leg');
    expect(stem('gas')).toBe('gas');
  });

  it('keeps exact offsets and break flags', () => {
    const text = 'HTN; T2DM, on metformin 0.5 g';
    const tokens = tokenize(text);
    expect(tokens.map((t) => text.slice(t.start, t.end))).toEqual(['HTN', 'T2DM', 'on', 'metformin', '0.5', 'g']);
    expect(tokens[1].breakBefore).toBe(true);
    expect(tokens[2].softBreakBefore).toBe(true);
    expect(tokens[0].upper).toBe(true);
    expect(tokens[2].stop).toBe(true);
  });

  it('keeps value symbols so "= +" findings differ from the test name', () => {
    expect(termKey('Urine protein test = +')).not.toBe(termKey('urine protein test'));
  });

  it('handles semantic tags and word-order keys', () => {
    expect(stripSemanticTag('Asthma (disorder)')).toBe('Asthma');
    expect(semanticTagOf('Stress (finding)')).toBe('finding');
    expect(semanticTagOf('Asthma')).toBeUndefined();
    expect(bagKey('diabet mellitus type 2')).toBe(bagKey('type 2 diabet mellitus'));
  });
});
