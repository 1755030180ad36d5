/**
 * Sentence skipping: the pipeline runs the NER model only on sentences whose spans can change its output
 * (`modelSentences`). With the shipped int8 model at batch size 1, the output with skipping must be byte-identical to
 * the output without it. `chartmine bench --stage extract --verify-identical` checks the same on MTSamples.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_MODELS_DIR } from '../config/config.js';
import { loadTerminologyIndex } from '../terminology/load-index.js';
import type { TerminologyIndex } from '../terminology/types.js';
import { readRuleLexicons } from './lexicons/rule-lexicons.js';
import { loadNerModel } from './ner/load-ner-model.js';
import type { NerModel, NerSpan } from './ner/types.js';
import { splitSentenceSpans } from './ner/words.js';
import { createRulePipeline, modelSentences } from './pipeline.js';
import { FIXTURE_NOTES } from './testing/fixture-notes.js';
import { MTSAMPLES_RELATIVE_PATH, readMtsamplesNotes } from './testing/mtsamples.js';
import { buildDefaultTestTerminology } from './testing/test-terminology.js';
import type { Span } from './types.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** MTSamples notes checked here when the corpus is present (the bench command checks hundreds). */
const MTSAMPLES_NOTES = 20;

/** A model that records the sentences it is given and finds nothing. */
function recordingModel(batchSize?: number): NerModel & { readonly seen: Span[][] } {
  const seen: Span[][] = [];
  return {
    info: { name: 'recording-ner', version: '1', sha256: 'abc' },
    maxTokens: 128,
    ...(batchSize !== undefined ? { batchSize } : {}),
    seen,
    async recognize(_text, sentences) {
      seen.push([...(sentences ?? [])]);
      return [] as NerSpan[];
    },
    async recognizeMany(texts) {
      return texts.map(() => []);
    },
    async close() {},
  };
}

describe('modelSentences', () => {
  const terminology = buildDefaultTestTerminology();
  const lexicons = readRuleLexicons();
  const text = 'Seen today.\nHe has asthma.\nWalked the dog twice.\nTakes metformin daily.\nNo other news.';
  const sentenceText = (spans: readonly Span[]): string[] => spans.map((s) => text.slice(s.start, s.end));

  test('keeps sentences that overlap a dictionary match or hold a look-up-able phrase', () => {
    const all = splitSentenceSpans(text);
    expect(sentenceText(modelSentences(text, all, terminology.match(text), terminology))).toEqual(['He has asthma.', 'Takes metformin daily.']);
    // without the matches, hasTermWithin alone still finds them
    expect(sentenceText(modelSentences(text, all, [], terminology))).toEqual(['He has asthma.', 'Takes metformin daily.']);
  });

  test('the pipeline skips only without NER_WRITE_UNCODED, with skipping on, and at batch size 1', async () => {
    const runs: Array<[string, Parameters<typeof createRulePipeline>[0]['nerWriteUncoded'], boolean | undefined, number | undefined, number]> = [
      ['default', undefined, undefined, undefined, 2],
      ['batch 1', false, true, 1, 2],
      ['write uncoded', true, undefined, undefined, 5],
      ['skipping off', false, false, undefined, 5],
      ['batch 16', false, true, 16, 5],
    ];
    for (const [name, nerWriteUncoded, nerSkipSentences, batchSize, expected] of runs) {
      const ner = recordingModel(batchSize);
      const pipeline = createRulePipeline({
        terminology,
        lexicons,
        ner,
        ...(nerWriteUncoded !== undefined ? { nerWriteUncoded } : {}),
        ...(nerSkipSentences !== undefined ? { nerSkipSentences } : {}),
      });
      const counts: number[] = [];
      await pipeline.analyze(text, { onModelSentences: (kept, total) => counts.push(kept, total) });
      expect([name, ner.seen[0].length]).toEqual([name, expected]);
      expect(counts).toEqual([expected, 5]);
    }
  });
});

describe('with the shipped int8 model and index, skipping sentences leaves the output byte-identical', () => {
  let model: NerModel;
  let terminology: TerminologyIndex;
  beforeAll(async () => {
    model = await loadNerModel({ modelsDir: DEFAULT_MODELS_DIR, dtype: 'q8', threads: 1 });
    terminology = await loadTerminologyIndex();
  });
  afterAll(async () => {
    await model.close();
  });

  async function compare(notes: readonly { id: string; text: string }[]): Promise<{ different: string[]; kept: number; total: number }> {
    const lexicons = readRuleLexicons();
    const skipping = createRulePipeline({ terminology, lexicons, ner: model });
    const full = createRulePipeline({ terminology, lexicons, ner: model, nerSkipSentences: false });
    expect(skipping.info.version).toBe(full.info.version); // the same pipeline: skipping is a speed-up only
    const different: string[] = [];
    let kept = 0;
    let total = 0;
    for (const note of notes) {
      const a = JSON.stringify(await skipping.analyze(note.text, { onModelSentences: (k, t) => ((kept += k), (total += t)) }));
      const b = JSON.stringify(await full.analyze(note.text));
      if (a !== b) different.push(note.id); // ids only: note text never goes into a report
    }
    return { different, kept, total };
  }

  test('on the committed fixture notes', async () => {
    const r = await compare(FIXTURE_NOTES.map((n) => ({ id: n.id, text: n.text })));
    expect(r.different).toEqual([]);
    expect(r.kept).toBeLessThan(r.total);
  }, 120_000);

  const corpus = readMtsamplesNotes(join(REPO_ROOT, MTSAMPLES_RELATIVE_PATH));
  test.runIf(corpus !== undefined)(`on the first ${MTSAMPLES_NOTES} MTSamples notes`, async () => {
    const notes = (corpus ?? []).filter((n) => n.text.trim() !== '').slice(0, MTSAMPLES_NOTES);
    const r = await compare(notes.map((n) => ({ id: `mtsamples-${n.noteId}`, text: n.text })));
    expect(r.different).toEqual([]);
    expect(r.kept).toBeLessThan(r.total);
  }, 300_000);
});
