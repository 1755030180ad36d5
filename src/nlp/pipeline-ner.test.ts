/**
 * The rule pipeline with an NER model: the model's spans are merged with the dictionary's. A scripted model stands
 * in here (the shipped model has its own tests in `ner/`); what is tested is the merge inside the pipeline.
 */
import { describe, expect, test } from 'vitest';
import type { NerModel, NerSpan } from './ner/types.js';
import { MODEL_ONLY_UNCODED_MIN_SCORE } from './analyze-rules.js';
import { createRulePipeline } from './pipeline.js';
import { loadTerminologyIndex } from '../terminology/load-index.js';
import { buildDefaultTestTerminology } from './testing/test-terminology.js';
import type { Mention } from './types.js';

/** A model that reports the given phrases with the given labels wherever they occur, all with one score. */
function scriptedModel(phrases: Record<string, NerSpan['label']>, score = 0.97): NerModel {
  return {
    info: { name: 'scripted-ner', version: '1', sha256: 'abc' },
    maxTokens: 128,
    async recognize(text) {
      const spans: NerSpan[] = [];
      for (const [phrase, label] of Object.entries(phrases)) {
        for (const m of text.matchAll(new RegExp(phrase, 'g'))) {
          spans.push({ start: m.index ?? 0, end: (m.index ?? 0) + phrase.length, label, score });
        }
      }
      return spans.sort((a, b) => a.start - b.start);
    },
    async recognizeMany(texts) {
      return Promise.all(texts.map((t) => this.recognize(t)));
    },
    async close() {},
  };
}

const terminology = buildDefaultTestTerminology();
const describeMention = (text: string, m: Mention): string =>
  `${m.kind}:${text.slice(m.span.start, m.span.end)}:${m.concept?.codings[0].code ?? 'uncoded'}:${m.sources.join('+')}`;

describe('createRulePipeline with an NER model', () => {
  test('agreed spans keep the dictionary code and gain the model as a source', async () => {
    const text = 'Assessment: asthma.';
    const pipeline = createRulePipeline({ terminology, ner: scriptedModel({ asthma: 'PROBLEM' }) });
    const { mentions } = await pipeline.analyze(text);
    expect(mentions.map((m) => describeMention(text, m))).toEqual(['problem:asthma:195967001:dictionary+model']);
  });

  test('the model adds what the dictionary misses (uncoded), and vetoes an ambiguous dictionary match it reads otherwise', async () => {
    const text = 'Allergic to pcn. Started on zorvatamab for flare of asthmatic bronchitis.';
    const model = scriptedModel({ zorvatamab: 'DRUG', 'asthmatic bronchitis': 'PROBLEM', 'Allergic to': 'PROBLEM' });
    const withModel = await createRulePipeline({ terminology, ner: model, nerWriteUncoded: true }).analyze(text);
    const without = await createRulePipeline({ terminology }).analyze(text);
    const found = withModel.mentions.map((m) => describeMention(text, m));
    expect(found).toContain('medication:zorvatamab:uncoded:model');
    expect(found).toContain('problem:asthmatic bronchitis:uncoded:model');
    expect(without.mentions.map((m) => describeMention(text, m))).not.toContain('medication:zorvatamab:uncoded:model');
    // "pcn" is a 3-letter abbreviation the model did not confirm as a DRUG in a sentence it read: its dictionary code
    // is vetoed; the allergy list ("allergic to ...") still names the allergen, as text.
    expect(found.filter((f) => f.includes(':pcn:'))).toEqual(['allergy:pcn:uncoded:rule']);
    expect(without.mentions.some((m) => text.slice(m.span.start, m.span.end) === 'pcn')).toBe(true);
  });

  test('an uncoded span the model alone found is kept only when the model is very sure of it', async () => {
    const text = 'Started on zorvatamab today.';
    const unsure = await createRulePipeline({ terminology, ner: scriptedModel({ zorvatamab: 'DRUG' }, MODEL_ONLY_UNCODED_MIN_SCORE - 0.05), nerWriteUncoded: true }).analyze(text);
    expect(unsure.mentions.map((m) => describeMention(text, m))).toEqual([]);
    const sure = await createRulePipeline({ terminology, ner: scriptedModel({ zorvatamab: 'DRUG' }, MODEL_ONLY_UNCODED_MIN_SCORE), nerWriteUncoded: true }).analyze(text);
    expect(sure.mentions.map((m) => describeMention(text, m))).toEqual(['medication:zorvatamab:uncoded:model']);
    // NER_WRITE_UNCODED=false (the default): not even a very sure uncoded span is kept, and the version says so.
    const byDefault = createRulePipeline({ terminology, ner: scriptedModel({ zorvatamab: 'DRUG' }, 0.99) });
    expect((await byDefault.analyze(text)).mentions).toEqual([]);
    expect(byDefault.info.version).not.toBe(createRulePipeline({ terminology, ner: scriptedModel({ zorvatamab: 'DRUG' }, 0.99), nerWriteUncoded: true }).info.version);
  });

  test('a model-only span that only names a kind of thing ("problem", "complaint") is never a finding', async () => {
    const text = 'Main problem today is the complaint.';
    const model = scriptedModel({ problem: 'PROBLEM', complaint: 'PROBLEM' }, 0.99);
    expect((await createRulePipeline({ terminology, ner: model, nerWriteUncoded: true }).analyze(text)).mentions).toEqual([]);
  });

  test('the model is part of the pipeline version and components', () => {
    const plain = createRulePipeline({ terminology });
    const hybrid = createRulePipeline({ terminology, ner: scriptedModel({}) });
    expect(hybrid.info.version).not.toBe(plain.info.version);
    expect(hybrid.info.components).toContainEqual({ name: 'scripted-ner', version: '1', sha256: 'abc' });
  });

  test('a phrase the dictionary turned down in context stays down when only the model finds it', async () => {
    const shipped = await loadTerminologyIndex();
    const pipeline = createRulePipeline({ terminology: shipped, ner: scriptedModel({ Influenza: 'PROBLEM', influenza: 'PROBLEM' }, 0.99) });
    const problemsIn = async (text: string): Promise<string[]> =>
      (await pipeline.analyze(text)).mentions.filter((m) => m.kind === 'problem').map((m) => describeMention(text, m));
    expect(await problemsIn('Influenza vaccine given today.')).toEqual([]);
    expect(await problemsIn('Tested positive for influenza.')).toEqual(['problem:influenza:6142004:dictionary+model']);
  });
});

