import { describe, expect, test } from 'vitest';
import { aConcept, aMedication, aProblem } from '../../test/builders/mentions.js';
import { addMentionDiff, isMtsamplesEvaluationNote, type MentionDiff } from './mtsamples-ner.js';

describe('eval mtsamples: the model\'s effect on the written mentions', () => {
  test('counts kept, removed, and added (coded and uncoded) mentions, with their surfaces', () => {
    const text = 'Had a fall. Asthma. Started zorvatamab and aspirin.';
    const asthma = aConcept('sct:195967001', 'Asthma');
    const aspirin = aConcept('rxnorm:1191', 'aspirin', 'medication');
    const without = [aProblem(text, 'fall', aConcept('sct:1912002', 'Fall')), aProblem(text, 'Asthma', asthma)];
    const withModel = [aProblem(text, 'Asthma', asthma), aMedication(text, 'zorvatamab', aspirin, { concept: undefined }), aMedication(text, 'aspirin', aspirin)];
    const diff: MentionDiff = { withoutModel: 0, withModel: 0, kept: 0, removed: 0, addedCoded: 0, addedUncoded: 0, removedTerms: {}, addedTerms: {} };
    addMentionDiff(diff, text, without, withModel);
    expect(diff).toEqual({
      withoutModel: 2,
      withModel: 3,
      kept: 1,
      removed: 1,
      addedCoded: 1,
      addedUncoded: 1,
      removedTerms: { 'problem: fall': 1 },
      addedTerms: { 'medication: zorvatamab (uncoded)': 1, 'medication: aspirin': 1 },
    });
  });

  test('the evaluation split is note_id % 5 == 0', () => {
    expect([1, 5, 10, 12].filter(isMtsamplesEvaluationNote)).toEqual([5, 10]);
  });
});
