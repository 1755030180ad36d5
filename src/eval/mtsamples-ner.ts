/**
 * `chartmine eval mtsamples`: what the NER model adds to and removes from what the worker writes, on the MTSamples
 * evaluation split (note_id % 5 == 0, per the corpus' SOURCE.md). The whole pipeline runs twice per note, with the
 * model and with `NER_MODEL=none`, and the mentions are compared by kind, span and code. MTSamples has no gold
 * annotations, so this suite counts and lists rather than scores.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MissingInputError } from '../errors.js';
import { DEFAULT_MODELS_DIR, loadConfig } from '../config/config.js';
import type { Mention } from '../nlp/types.js';
import { readMtsamplesNotes } from '../nlp/testing/mtsamples.js';
import { loadPipeline } from '../pipeline-loader.js';
import { formatTopTerms, tally, topTerms } from './ner-hybrid.js';
import type { EvalSuite } from './suite.js';

/** The held-out split of the corpus. */
export const isMtsamplesEvaluationNote = (noteId: number): boolean => noteId % 5 === 0;

/** What the model changed, summed over the notes. */
export interface MentionDiff {
  withoutModel: number;
  withModel: number;
  kept: number;
  removed: number;
  addedCoded: number;
  addedUncoded: number;
  removedTerms: Record<string, number>;
  addedTerms: Record<string, number>;
}

const key = (m: Mention): string => `${m.kind}|${m.span.start}|${m.span.end}|${m.concept?.id ?? ''}`;

/**
 * Adds one note's comparison to the running totals.
 * @param diff - the totals.
 * @param text - the note.
 * @param without - mentions without the model.
 * @param withModel - mentions with the model.
 */
export function addMentionDiff(diff: MentionDiff, text: string, without: readonly Mention[], withModel: readonly Mention[]): void {
  const before = new Set(without.map(key));
  const after = new Set(withModel.map(key));
  const surface = (m: Mention): string => `${m.kind}: ${text.slice(m.span.start, m.span.end)}`;
  diff.withoutModel += without.length;
  diff.withModel += withModel.length;
  for (const m of without) {
    if (after.has(key(m))) diff.kept++;
    else {
      diff.removed++;
      tally(diff.removedTerms, surface(m));
    }
  }
  for (const m of withModel) {
    if (before.has(key(m))) continue;
    if (m.concept) diff.addedCoded++;
    else diff.addedUncoded++;
    tally(diff.addedTerms, `${surface(m)}${m.concept ? '' : ' (uncoded)'}`);
  }
}

export const mtsamplesNerSuite: EvalSuite = {
  name: 'mtsamples',
  summary: 'what the NER model adds to and removes from the written mentions on the MTSamples evaluation split',
  async run(options) {
    const { values } = parseArgs({
      args: [...options.args],
      allowPositionals: true,
      strict: false,
      options: { model: { type: 'string' }, limit: { type: 'string' }, top: { type: 'string', default: '15' } },
    });
    const file = path.join(options.dataDir, 'mtsamples', 'mtsamples.csv.gz');
    const notes = readMtsamplesNotes(file);
    if (!notes) throw new MissingInputError(file, 'MTSamples corpus (pass --data DIR, the shared data folder)');
    const limit = values.limit ? Number(values.limit) : Infinity;
    const split = notes.filter((n) => isMtsamplesEvaluationNote(n.noteId) && n.text.trim() !== '').slice(0, limit);
    const env = { MODELS_DIR: DEFAULT_MODELS_DIR };
    const model = typeof values.model === 'string' ? { NER_MODEL: values.model } : {};
    const withModel = await loadPipeline(loadConfig({ ...env, ...model }));
    const without = await loadPipeline(loadConfig({ ...env, NER_MODEL: 'none' }));
    const ner = withModel.info.components.at(-1);
    const diff: MentionDiff = { withoutModel: 0, withModel: 0, kept: 0, removed: 0, addedCoded: 0, addedUncoded: 0, removedTerms: {}, addedTerms: {} };
    for (const note of split) {
      addMentionDiff(diff, note.text, (await without.analyze(note.text)).mentions, (await withModel.analyze(note.text)).mentions);
    }
    const top = Number(values.top);
    const { removedTerms, addedTerms, ...totals } = diff;
    const removed = topTerms(removedTerms, top);
    const added = topTerms(addedTerms, top);
    const lines = [
      `mtsamples evaluation split: ${split.length} notes, pipeline ${withModel.info.name} (model ${ner?.name} ${ner?.version}) vs NER_MODEL=none`,
      ...Object.entries(totals).map(([k, v]) => `  ${k.padEnd(14)} ${v}`),
      `  most often removed: ${formatTopTerms(removed)}`,
      `  most often added:   ${formatTopTerms(added)}`,
    ];
    return {
      suite: 'mtsamples',
      rows: [],
      extra: { notes: split.length, model: ner, totals, removed, added },
      text: lines.join('\n'),
    };
  },
};
