/**
 * Shared code for the IOB NER suites (BC5CDR, NCBI-disease): read a `token<TAB>tag` file, rebuild each sentence
 * as text (tokens joined by one space), run the NER model, and score strict entity-level matches (exact start,
 * end and type) per type. Model labels that a corpus does not annotate (TEST everywhere, DRUG in NCBI) are ignored.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MissingInputError } from '../errors.js';
import { DEFAULT_MODELS_DIR } from '../config/config.js';
import { loadNerModel } from '../nlp/ner/load-ner-model.js';
import type { NerLabel, NerModel } from '../nlp/ner/types.js';
import type { EvalReport, MetricRow } from './suite.js';
import { formatMetricTable, toMetricRow } from './suite.js';

/** One sentence of an IOB file, as text with gold entities. */
export interface IobSentence {
  readonly text: string;
  readonly entities: ReadonlyArray<{ readonly start: number; readonly end: number; readonly type: string }>;
}

/**
 * Parses a `token<TAB>tag` file (blank line between sentences) into texts with character-offset entities.
 * @param content - the file's text.
 * @returns sentences.
 */
export function parseIob(content: string): IobSentence[] {
  const out: IobSentence[] = [];
  let tokens: string[] = [];
  let tags: string[] = [];
  const flush = (): void => {
    if (tokens.length > 0) out.push(toSentence(tokens, tags));
    tokens = [];
    tags = [];
  };
  for (const line of content.split('\n')) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    const cols = line.replace(/\r$/, '').split('\t');
    tokens.push(cols[0]);
    tags.push(cols.length > 1 ? cols[cols.length - 1] : 'O');
  }
  flush();
  return out;
}

function toSentence(tokens: readonly string[], tags: readonly string[]): IobSentence {
  const entities: Array<{ start: number; end: number; type: string }> = [];
  let pos = 0;
  let cur: { start: number; end: number; type: string } | undefined;
  tokens.forEach((tok, i) => {
    const tag = tags[i];
    const type = tag.slice(2);
    if (tag.startsWith('B-') || (tag.startsWith('I-') && (!cur || cur.type !== type))) {
      if (cur) entities.push(cur);
      cur = { start: pos, end: pos + tok.length, type };
    } else if (tag.startsWith('I-') && cur) {
      cur.end = pos + tok.length;
    } else {
      if (cur) entities.push(cur);
      cur = undefined;
    }
    pos += tok.length + 1;
  });
  if (cur) entities.push(cur);
  return { text: tokens.join(' '), entities };
}

/** Options every IOB suite accepts after the suite name. */
export interface IobSuiteOptions {
  readonly split: string;
  readonly model: string | undefined;
  readonly modelsDir: string;
  readonly dtype: 'q8' | 'fp32';
  readonly threads: number;
}

/**
 * Parses `--split test|devel|train --model NAME --models-dir DIR --dtype q8|fp32 --threads N`.
 * @param args - the suite's arguments.
 * @returns the options.
 */
export function parseIobSuiteArgs(args: readonly string[]): IobSuiteOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      split: { type: 'string', default: 'test' },
      model: { type: 'string' },
      'models-dir': { type: 'string', default: DEFAULT_MODELS_DIR },
      dtype: { type: 'string', default: 'q8' },
      threads: { type: 'string', default: '2' },
    },
    strict: true,
  });
  const dtype = values.dtype === 'fp32' ? 'fp32' : 'q8';
  return {
    split: String(values.split),
    model: values.model,
    modelsDir: String(values['models-dir']),
    dtype,
    threads: Number(values.threads) || 2,
  };
}

/** A published result to print beside ours (F1 in percent). */
export interface PublishedFigure {
  readonly system: string;
  readonly category: string;
  readonly f1: number;
}

/** How a corpus type maps to our labels. */
export interface CorpusType {
  readonly type: string;
  readonly label: NerLabel;
}

/**
 * Runs an IOB suite end to end.
 * @param spec - suite name, corpus folder, types and published figures.
 * @param dataDir - the shared data folder.
 * @param args - the suite arguments.
 * @param loadModel - model loader (tests pass a fake).
 * @returns the report.
 */
export async function runIobSuite(
  spec: { readonly suite: string; readonly folder: string; readonly types: readonly CorpusType[]; readonly published: readonly PublishedFigure[] },
  dataDir: string,
  args: readonly string[],
  loadModel: (o: IobSuiteOptions) => Promise<NerModel> = (o) =>
    loadNerModel({ modelsDir: o.modelsDir, model: o.model, dtype: o.dtype, threads: o.threads })
): Promise<EvalReport> {
  const options = parseIobSuiteArgs(args);
  const file = path.join(dataDir, spec.folder, `${options.split}.tsv`);
  if (!existsSync(file)) {
    throw new MissingInputError(file, `${spec.folder} ${options.split} split (pass --data DIR, the shared data folder)`);
  }
  const sentences = parseIob(readFileSync(file, 'utf8'));
  const model = await loadModel(options);
  const started = performance.now();
  // Each corpus sentence is one model sentence (no re-splitting), as in training.
  const predictions = await model.recognizeMany(
    sentences.map((s) => s.text),
    sentences.map((s) => [{ start: 0, end: s.text.length }])
  );
  const seconds = (performance.now() - started) / 1000;
  await model.close();

  const rows: MetricRow[] = [];
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const { type, label } of spec.types) {
    let t = 0;
    let f = 0;
    let n = 0;
    sentences.forEach((s, i) => {
      const gold = new Set(s.entities.filter((e) => e.type === type).map((e) => `${e.start}:${e.end}`));
      const pred = new Set(predictions[i].filter((p) => p.label === label).map((p) => `${p.start}:${p.end}`));
      for (const k of pred) if (gold.has(k)) t++;
      f += pred.size;
      n += gold.size;
    });
    rows.push(toMetricRow(`${type} (${label})`, t, f - t, n - t));
    tp += t;
    fp += f - t;
    fn += n - t;
  }
  if (spec.types.length > 1) rows.push(toMetricRow('overall', tp, fp, fn));
  const published = spec.published.map((p) => `  ${p.system.padEnd(34)} ${p.category.padEnd(10)} F1 ${p.f1.toFixed(2)}`);
  const text = [
    `${spec.suite} ${options.split}: ${sentences.length} sentences, model ${model.info.name} ${model.info.version}, ` +
      `${(sentences.length / seconds).toFixed(0)} sentences/s (${options.threads} threads)`,
    formatMetricTable(rows),
    '',
    'Published (F1 %, strict entity level, test split):',
    ...published,
  ].join('\n');
  return {
    suite: spec.suite,
    rows,
    extra: {
      split: options.split,
      sentences: sentences.length,
      model: model.info,
      dtype: options.dtype,
      threads: options.threads,
      seconds: Math.round(seconds * 100) / 100,
      sentencesPerSecond: Math.round(sentences.length / seconds),
      published: spec.published,
    },
    text,
  };
}
