import { describe, expect, test } from 'vitest';
import type { TokenEncoder } from './ner-model.js';
import { createNerModel } from './ner-model.js';
import { DEFAULT_NER_LABEL_MAP } from './types.js';

const LABELS = ['O', 'B-PROBLEM', 'I-PROBLEM', 'B-DRUG', 'I-DRUG', 'B-TEST', 'I-TEST'];
const DRUGS = new Set(['aspirin', 'heparin']);
const PROBLEM_HEAD = 'chest';
const PROBLEM_TAIL = 'pain';

/** A scripted encoder: a word's id is its index in a growing vocabulary; each word is 2 sub-tokens long. */
function fakeEncoder(): TokenEncoder & { batches: number[] } {
  const vocab = new Map<string, number>();
  const words: string[] = [];
  const idOf = (w: string): number => {
    let id = vocab.get(w);
    if (id === undefined) {
      id = 10 + words.length;
      vocab.set(w, id);
      words.push(w);
    }
    return id;
  };
  const batches: number[] = [];
  return {
    batches,
    encodeWord: (w) => (w === '\u0007' ? [] : [idOf(w.toLowerCase()), 5]),
    clsId: 2,
    sepId: 3,
    padId: 0,
    labels: LABELS,
    async run(ids, mask, batch, seqLen) {
      batches.push(batch);
      const out = new Float32Array(batch * seqLen * LABELS.length);
      for (let i = 0; i < batch * seqLen; i++) {
        const id = Number(ids[i]);
        let tag = 'O';
        if (mask[i] === 1n && id >= 10) {
          const w = words[id - 10];
          if (DRUGS.has(w)) tag = 'B-DRUG';
          else if (w === PROBLEM_HEAD) tag = 'B-PROBLEM';
          else if (w === PROBLEM_TAIL) tag = 'I-PROBLEM';
        }
        out[i * LABELS.length + LABELS.indexOf(tag)] = 8;
      }
      return out;
    },
    async close() {},
  };
}

const info = { name: 'fake', version: '0' };

describe('createNerModel', () => {
  test('exact offsets, types and scores', async () => {
    const model = createNerModel(fakeEncoder(), info, { maxTokens: 128, batchSize: 4, labelMap: DEFAULT_NER_LABEL_MAP });
    const text = 'Given ASPIRIN for  chest pain.\nNo heparin.';
    const spans = await model.recognize(text);
    expect(spans.map((s) => [text.slice(s.start, s.end), s.label])).toEqual([
      ['ASPIRIN', 'DRUG'],
      ['chest pain', 'PROBLEM'],
      ['heparin', 'DRUG'],
    ]);
    expect(spans.every((s) => s.score > 0.99 && s.score <= 1)).toBe(true);
  });

  test('a sentence far over the window is windowed, not truncated: every mention is found once', async () => {
    const enc = fakeEncoder();
    const model = createNerModel(enc, info, { maxTokens: 64, batchSize: 8, labelMap: DEFAULT_NER_LABEL_MAP });
    const unit = 'then aspirin and more words about chest pain here ';
    const text = unit.repeat(40); // 400 words, 800 sub-tokens, one "sentence"
    const spans = await model.recognize(text);
    expect(spans.filter((s) => s.label === 'DRUG')).toHaveLength(40);
    expect(spans.filter((s) => s.label === 'PROBLEM')).toHaveLength(40);
    expect(spans.every((s) => ['aspirin', 'chest pain'].includes(text.slice(s.start, s.end)))).toBe(true);
    expect(enc.batches.reduce((a, b) => a + b, 0)).toBeGreaterThan(12);
  });

  test('given sentences restrict where it runs; recognizeMany batches texts and matches recognize', async () => {
    const model = createNerModel(fakeEncoder(), info, { maxTokens: 128, batchSize: 3, labelMap: DEFAULT_NER_LABEL_MAP });
    const text = 'aspirin here. heparin there.';
    const only = await model.recognize(text, [{ start: 14, end: 28 }]);
    expect(only.map((s) => text.slice(s.start, s.end))).toEqual(['heparin']);
    const texts = ['aspirin', 'x \u0007 chest pain', '', 'no', 'heparin and aspirin'];
    const many = await model.recognizeMany(texts);
    const single = await Promise.all(texts.map((t) => model.recognize(t)));
    expect(many).toEqual(single);
    expect(many[1].map((s) => texts[1].slice(s.start, s.end))).toEqual(['chest pain']);
  });

  test('hands all of a text\'s batches to the runtime at once, so a pool of threads can run them side by side', async () => {
    const enc = fakeEncoder();
    let inFlight = 0;
    let most = 0;
    const run = enc.run.bind(enc);
    const model = createNerModel(
      {
        ...enc,
        async run(ids, mask, batch, seqLen) {
          most = Math.max(most, ++inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight--;
          return run(ids, mask, batch, seqLen);
        },
      },
      info,
      { maxTokens: 128, batchSize: 1, labelMap: DEFAULT_NER_LABEL_MAP }
    );
    const text = 'aspirin here. heparin there. chest pain too.';
    const spans = await model.recognize(text, [{ start: 0, end: 13 }, { start: 14, end: 28 }, { start: 29, end: 44 }]);
    expect(most).toBe(3);
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['aspirin', 'heparin', 'chest pain']);
  });
});
