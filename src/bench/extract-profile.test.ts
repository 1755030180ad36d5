import { describe, expect, test } from 'vitest';
import type { NlpPipeline, NlpResult } from '../nlp/types.js';
import { formatExtractProfile, startExtractProbe, verifyIdentical } from './extract-profile.js';

const EMPTY: NlpResult = { sections: [], sentences: [], mentions: [] };

/** A pipeline that runs the stages and model parts it is given, reporting 3 of 4 sentences run. */
const fakePipeline: NlpPipeline = {
  info: { name: 'fake', version: '1', components: [] },
  async analyze(_text, options) {
    const stage = options?.stage ?? ((_s, fn) => fn());
    stage('dictionary', () => 1);
    await stage('model', async () => {
      options?.onModelSentences?.(3, 4);
      await (options?.modelPart ?? ((_p, fn) => fn()))('forward', async () => new Promise((resolve) => setTimeout(resolve, 5)));
    });
    stage('matching', () => 2);
    return EMPTY;
  },
};

describe('the extract profile', () => {
  test('collects stages, model parts and skipped sentences per note, counting only after start()', async () => {
    const probe = startExtractProbe(fakePipeline);
    await probe.pipeline.analyze('warm-up'); // before start(): not counted
    probe.start();
    for (let i = 0; i < 2; i++) {
      await probe.pipeline.analyze('note');
      probe.noted(10);
    }
    const p = probe.finish();
    expect(p.notes).toBe(2);
    expect(p.wallMsPerNote).toBe(10);
    expect(Object.keys(p.stages).sort()).toEqual(['dictionary', 'matching', 'model']);
    expect(p.modelParts.forward).toBeGreaterThanOrEqual(4);
    expect(p.stages.model).toBeGreaterThanOrEqual(p.modelParts.forward);
    expect([p.modelSentences, p.modelSentencesRun, p.skippedShare]).toEqual([8, 6, 0.25]);
    expect(p.cpuMsPerNote).toBeGreaterThanOrEqual(0);
    const text = formatExtractProfile(p);
    expect(text).toContain('stage model');
    expect(text).toContain('forward');
    expect(text).toContain('6 of 8 (25.0% skipped)');
    // stages in the order a note goes through them
    expect(text.indexOf('stage dictionary')).toBeLessThan(text.indexOf('stage model'));
  });

  test('without a model it says so', () => {
    const probe = startExtractProbe(fakePipeline);
    probe.start();
    expect(formatExtractProfile(probe.finish())).toContain('no NER model');
  });
});

describe('verifyIdentical', () => {
  test('counts identical and different outputs and names the different notes by position', async () => {
    const r = await verifyIdentical(4, async (i, skip) => (i === 2 && skip ? 'a' : `note ${i}`));
    expect(r).toEqual({ notes: 4, identical: 3, different: 1, differentNotes: [2] });
  });
});
