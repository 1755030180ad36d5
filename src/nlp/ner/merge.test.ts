import { describe, expect, test } from 'vitest';
import type { Concept, SemanticGroup, TermMatch } from '../../terminology/types.js';
import { mergeModelAndDictionary } from './merge.js';
import type { NerSpan } from './types.js';

const concept = (id: string, group: SemanticGroup): Concept => ({ id, group, display: id, codings: [] });
const at = (text: string, surface: string, from = 0): { start: number; end: number } => {
  const start = text.indexOf(surface, from);
  if (start < 0) throw new Error(`no ${surface}`);
  return { start, end: start + surface.length };
};
const match = (text: string, surface: string, group: SemanticGroup, score = 1): TermMatch => ({
  ...at(text, surface),
  concept: concept(`c-${surface}`, group),
  score,
});
const span = (text: string, surface: string, label: NerSpan['label'], score = 0.9): NerSpan => ({
  ...at(text, surface),
  label,
  score,
});

describe('mergeModelAndDictionary', () => {
  test('agreement keeps the coded dictionary span with a higher confidence', () => {
    const text = 'Known asthma.';
    const { spans, suppressed } = mergeModelAndDictionary(text, [match(text, 'asthma', 'disorder', 0.9)], [span(text, 'asthma', 'PROBLEM', 0.8)]);
    expect(suppressed).toEqual([]);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ decision: 'agreed', sources: ['dictionary', 'model'], concept: { id: 'c-asthma' } });
    expect(spans[0].confidence).toBeCloseTo(0.98);
  });

  test('the model vetoes ambiguous dictionary matches it does not confirm: cold, MS, lead, PT', () => {
    const text = 'Hands were cold. MS notes lead exposure. PT twice weekly.';
    const matches = [
      match(text, 'cold', 'disorder'),
      match(text, 'MS', 'disorder'),
      match(text, 'lead', 'medication'),
      match(text, 'PT', 'observable'),
    ];
    const { spans, suppressed } = mergeModelAndDictionary(text, matches, []);
    expect(spans).toEqual([]);
    expect(suppressed.map((m) => text.slice(m.start, m.end))).toEqual(['cold', 'MS', 'lead', 'PT']);
  });

  test('unambiguous dictionary matches stay, at lower confidence; outside the covered sentences nothing is vetoed', () => {
    const text = 'History of nephrolithiasis. Cold intolerance: cold.';
    const matches = [match(text, 'nephrolithiasis', 'disorder'), match(text, 'cold', 'finding')];
    const covered = [at(text, 'History of nephrolithiasis.')];
    const { spans } = mergeModelAndDictionary(text, matches, [], covered);
    expect(spans.map((s) => [text.slice(s.start, s.end), s.decision, s.confidence])).toEqual([
      ['nephrolithiasis', 'dictionary-only', 0.7],
      ['cold', 'dictionary-only', 1],
    ]);
  });

  test('the model adds what the dictionary misses, and its type wins a confident conflict', () => {
    const text = 'Started on xarelto for diabettes. Potassium 4.1 today.';
    const matches = [match(text, 'Potassium', 'medication')];
    const model = [span(text, 'xarelto', 'DRUG', 0.9), span(text, 'diabettes', 'PROBLEM', 0.6), span(text, 'Potassium', 'TEST', 0.95)];
    const { spans, suppressed } = mergeModelAndDictionary(text, matches, model);
    expect(spans.map((s) => [text.slice(s.start, s.end), s.label, s.decision, s.concept])).toEqual([
      ['xarelto', 'DRUG', 'model-only', undefined],
      ['diabettes', 'PROBLEM', 'model-only', undefined],
      ['Potassium', 'TEST', 'model-type', undefined],
    ]);
    expect(suppressed).toHaveLength(1);
    expect(spans[0].confidence).toBeCloseTo(0.72);
  });

  test('procedures pass through; weak model spans are ignored', () => {
    const text = 'Appendectomy in 2001; possible gout.';
    const { spans } = mergeModelAndDictionary(text, [match(text, 'Appendectomy', 'procedure', 0.95)], [span(text, 'gout', 'PROBLEM', 0.3)]);
    expect(spans).toEqual([expect.objectContaining({ decision: 'passthrough', label: undefined, confidence: 0.95 })]);
  });

  test('the model vetoes an unconfirmed misspelling match, but not a word-order variant of a term', () => {
    const text = 'Knee pain, left. Also diabtes.';
    const wordOrder = { ...match(text, 'Knee pain, left', 'finding', 0.95), kind: 'word-order' as const };
    const spelling = { ...match(text, 'diabtes', 'disorder', 0.9), kind: 'spelling' as const };
    const { spans, suppressed } = mergeModelAndDictionary(text, [wordOrder, spelling], []);
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['Knee pain, left']);
    expect(suppressed.map((m) => text.slice(m.start, m.end))).toEqual(['diabtes']);
  });
});

describe('a drug inside a disorder term', () => {
  test('the model reading "cocaine" as a drug does not unmake "cocaine abuse"; over the whole match it does', () => {
    const text = 'cocaine abuse; potassium 4.1';
    const abuse: TermMatch = { start: 0, end: 13, score: 1, kind: 'exact', concept: { id: 'sct:78267003', group: 'disorder', display: 'Cocaine abuse', codings: [] } };
    const potassium: TermMatch = { start: 15, end: 24, score: 1, kind: 'exact', concept: { id: 'rx:8588', group: 'medication', display: 'potassium', codings: [] } };
    const model: NerSpan[] = [
      { start: 0, end: 7, label: 'DRUG', score: 0.95 },
      { start: 15, end: 28, label: 'TEST', score: 0.9 },
    ];
    const { spans, suppressed } = mergeModelAndDictionary(text, [abuse, potassium], model);
    expect(spans.find((s) => s.start === 0 && s.end === 13)?.concept?.id).toBe('sct:78267003');
    expect(suppressed.map((m) => m.concept.id)).toEqual(['rx:8588']);
    expect(spans.find((s) => s.start === 15)?.label).toBe('TEST');
  });
});
