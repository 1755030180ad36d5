/**
 * `chartmine eval mtsamples`: what the NER model adds to and removes from the dictionary matches on the MTSamples
 * evaluation split (note_id % 5 == 0, per the corpus' SOURCE.md). MTSamples has no gold annotations, so this suite
 * counts and lists rather than scores: dictionary matches, agreements, suppressed matches, model-only mentions (and
 * how many of those terminology look-up could code), type changes, and the most frequent surfaces of each.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MODELS_DIR } from '../config/config.js';
import { DEFAULT_NER_MODEL, loadNerModel } from '../nlp/ner/load-ner-model.js';
import { readMtsamplesNotes } from '../nlp/testing/mtsamples.js';
import { loadTerminologyIndex } from '../terminology/load-index.js';
import { nerHybridExtractor, topTerms } from './ner-hybrid.js';
import type { EvalSuite } from './suite.js';

/** The held-out split of the corpus. */
export const isMtsamplesEvaluationNote = (noteId: number): boolean => noteId % 5 === 0;

export const mtsamplesNerSuite: EvalSuite = {
  name: 'mtsamples',
  summary: 'what the NER model adds to and removes from dictionary matches on the MTSamples evaluation split',
  async run(options) {
    const { values } = parseArgs({
      args: [...options.args],
      allowPositionals: true,
      strict: false,
      options: { model: { type: 'string', default: DEFAULT_NER_MODEL }, limit: { type: 'string' }, top: { type: 'string', default: '15' } },
    });
    const file = path.join(options.dataDir, 'mtsamples', 'mtsamples.csv.gz');
    const notes = readMtsamplesNotes(file);
    if (!notes) throw new Error(`missing ${file}: pass --data DIR pointing at the shared data folder (with mtsamples/)`);
    const limit = values.limit ? Number(values.limit) : Infinity;
    const split = notes.filter((n) => isMtsamplesEvaluationNote(n.noteId) && n.text.trim() !== '').slice(0, limit);
    const model = await loadNerModel({ modelsDir: DEFAULT_MODELS_DIR, model: String(values.model) });
    try {
      const { extract, counts } = nerHybridExtractor(await loadTerminologyIndex(), model);
      const started = performance.now();
      for (const note of split) await extract(note.text);
      const seconds = (performance.now() - started) / 1000;
      const top = Number(values.top);
      const { suppressedTerms, addedTerms, ...totals } = counts;
      const lines = [
        `mtsamples evaluation split: ${split.length} notes, model ${model.info.name} ${model.info.version}, ${seconds.toFixed(1)} s`,
        ...Object.entries(totals).map(([k, v]) => `  ${k.padEnd(18)} ${v}`),
        `  most often suppressed: ${topTerms(suppressedTerms, top).map(([t, n]) => `${t} (${n})`).join(', ')}`,
        `  most often added:      ${topTerms(addedTerms, top).map(([t, n]) => `${t} (${n})`).join(', ')}`,
      ];
      return {
        suite: 'mtsamples',
        rows: [],
        extra: { notes: split.length, model: model.info, totals, suppressed: topTerms(suppressedTerms, top), added: topTerms(addedTerms, top) },
        text: lines.join('\n'),
      };
    } finally {
      await model.close();
    }
  },
};
