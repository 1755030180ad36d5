import { describe, expect, it } from 'vitest';
import type { Concept } from '../terminology/types.js';
import { splitCombinationProducts } from './combination-drugs.js';
import type { Mention } from './types.js';

const concept = (id: string, display: string, components?: string[]): Concept => ({
  id,
  group: 'medication',
  display,
  codings: components ? [] : [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: id.slice(3), display }],
  ...(components ? { components } : {}),
});
const byId = new Map([concept('rx:7804', 'oxycodone'), concept('rx:161', 'acetaminophen')].map((c) => [c.id, c]));
const terminology = { get: (id: string): Concept | undefined => byId.get(id) };
const mention = (kind: 'medication' | 'allergy', c: Concept): Mention =>
  ({ kind, span: { start: 0, end: 8 }, concept: c, assertion: 'affirmed', confidence: 0.9, sentence: 0 }) as unknown as Mention;

describe('splitCombinationProducts', () => {
  const percocet = concept('combo:percocet', 'Percocet', ['rx:7804', 'rx:161']);

  it('writes one medication mention per ingredient on the same span', () => {
    const out = splitCombinationProducts([mention('medication', percocet)], terminology);
    expect(out.map((m) => m.concept?.display)).toEqual(['oxycodone', 'acetaminophen']);
    expect(out.every((m) => m.span.start === 0 && m.span.end === 8 && m.kind === 'medication')).toBe(true);
  });

  it('leaves single-ingredient drugs and allergies to a combination product alone', () => {
    const single = mention('medication', byId.get('rx:161') as Concept);
    const allergy = mention('allergy', percocet);
    expect(splitCombinationProducts([single, allergy], terminology)).toEqual([single, allergy]);
  });

  it('writes one problem mention per finding of a compound finding ("N/V")', () => {
    const nausea = { ...concept('sct:422587007', 'Nausea'), group: 'finding' as const };
    const vomiting = { ...concept('sct:422400008', 'Vomiting'), group: 'finding' as const };
    const nv = { ...concept('sct:16932000', 'Nausea and vomiting', ['sct:422587007', 'sct:422400008']), group: 'finding' as const };
    const terms = { get: (id: string): Concept | undefined => [nausea, vomiting].find((c) => c.id === id) };
    const out = splitCombinationProducts([{ ...mention('medication', nv), kind: 'problem' } as unknown as Mention], terms);
    expect(out.map((m) => [m.kind, m.concept?.display])).toEqual([
      ['problem', 'Nausea'],
      ['problem', 'Vomiting'],
    ]);
  });
});
