/**
 * `chartmine eval sentiment`: patient-feedback polarity on the Druglib.com reviews (drugLibTest, 1,036 reviews; or
 * `--split devel`, the recipe's held-out fifth of drugLibTrain, reviewID % 5 == 0). Each review is one feedback
 * item: its three free-text fields joined by line breaks. Figures: binary polarity (positive vs negative, gold
 * neutral left out; predicted = the larger of the two scores) accuracy and macro-F1, three-class macro-F1,
 * side-effect severity macro-F1, items/s; for the model and, beside it, the lexicon baseline.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MODELS_DIR } from '../config/config.js';
import { MissingInputError } from '../errors.js';
import { createLexiconSentimentClassifier } from '../feedback/lexicon-sentiment.js';
import { SENTIMENT_LABELS, SEVERITY_LABELS } from '../feedback/sentiment.js';
import type { SentimentClassifier, SentimentResult } from '../feedback/sentiment.js';
import { loadSentimentModel } from '../feedback/sentiment-model.js';
import { parseDruglibReviews } from './druglib.js';
import type { DruglibReview } from './druglib.js';
import type { EvalReport, EvalSuite, MetricRow } from './suite.js';
import { formatMetricTable, toMetricRow } from './suite.js';

/** Reviews per `classify` call. */
const CLASSIFY_BATCH = 64;

/** The figures of one classifier. */
export interface SentimentFigures {
  readonly classifier: string;
  readonly version: string;
  readonly items: number;
  readonly binaryItems: number;
  readonly binaryAccuracy: number;
  readonly binaryMacroF1: number;
  readonly threeClassMacroF1: number;
  /** Undefined when the classifier predicts no severity. */
  readonly severityMacroF1: number | undefined;
  readonly itemsPerSecond: number;
  readonly rows: readonly MetricRow[];
}

function rowsFor(
  category: string,
  labels: readonly string[],
  gold: readonly string[],
  pred: readonly string[]
): MetricRow[] {
  return labels.map((l) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    gold.forEach((g, i) => {
      if (g === l && pred[i] === l) tp++;
      else if (pred[i] === l) fp++;
      else if (g === l) fn++;
    });
    return toMetricRow(`${category} ${l}`, tp, fp, fn);
  });
}

const macro = (rows: readonly MetricRow[]): number => rows.reduce((s, r) => s + r.f1, 0) / Math.max(1, rows.length);

/**
 * Scores predictions against the reviews.
 * @param reviews - gold reviews.
 * @param results - one prediction per review.
 * @param meta - classifier name, version and seconds taken.
 * @returns the figures.
 */
export function scoreSentiment(
  reviews: readonly DruglibReview[],
  results: readonly SentimentResult[],
  meta: { readonly classifier: string; readonly version: string; readonly seconds: number }
): SentimentFigures {
  const binary = reviews.flatMap((r, i) => {
    if (r.polarity === 'neutral') return [];
    const s = results[i].scores;
    return [{ gold: r.polarity, pred: s.positive >= s.negative ? 'positive' : 'negative' }];
  });
  const binaryRows = rowsFor('binary', ['negative', 'positive'], binary.map((b) => b.gold), binary.map((b) => b.pred));
  const threeRows = rowsFor('3-class', SENTIMENT_LABELS, reviews.map((r) => r.polarity), results.map((r) => r.label));
  const withSeverity = reviews.flatMap((r, i) =>
    r.severity && results[i].severity ? [{ gold: r.severity, pred: results[i].severity ?? '' }] : []
  );
  const severityRows =
    withSeverity.length > 0
      ? rowsFor('severity', SEVERITY_LABELS, withSeverity.map((x) => x.gold), withSeverity.map((x) => x.pred))
      : [];
  return {
    classifier: meta.classifier,
    version: meta.version,
    items: reviews.length,
    binaryItems: binary.length,
    binaryAccuracy: binary.filter((b) => b.gold === b.pred).length / Math.max(1, binary.length),
    binaryMacroF1: macro(binaryRows),
    threeClassMacroF1: macro(threeRows),
    severityMacroF1: severityRows.length > 0 ? macro(severityRows) : undefined,
    itemsPerSecond: reviews.length / Math.max(meta.seconds, 1e-9),
    rows: [...binaryRows, ...threeRows, ...severityRows],
  };
}

/**
 * Runs a classifier over the reviews in batches and scores it.
 * @param classifier - the classifier.
 * @param reviews - the reviews.
 * @returns the figures.
 */
export async function evaluateSentiment(
  classifier: SentimentClassifier,
  reviews: readonly DruglibReview[]
): Promise<SentimentFigures> {
  const results: SentimentResult[] = [];
  const started = performance.now();
  for (let i = 0; i < reviews.length; i += CLASSIFY_BATCH) {
    results.push(...(await classifier.classify(reviews.slice(i, i + CLASSIFY_BATCH).map((r) => r.text || ' '))));
  }
  const seconds = (performance.now() - started) / 1000;
  return scoreSentiment(reviews, results, { classifier: classifier.name, version: classifier.version, seconds });
}

/**
 * Reads the split's reviews; names the file when it is missing.
 * @param dataDir - the shared data folder.
 * @param split - `test` (drugLibTest) or `devel` (drugLibTrain rows with reviewID % 5 == 0).
 * @returns the reviews.
 */
export function readDruglibSplit(dataDir: string, split: string): DruglibReview[] {
  if (split !== 'test' && split !== 'devel') throw new Error(`unknown split '${split}' (test or devel)`);
  const file = path.join(dataDir, 'druglib-reviews', split === 'test' ? 'drugLibTest_raw.tsv' : 'drugLibTrain_raw.tsv');
  if (!existsSync(file)) throw new MissingInputError(file, 'Druglib reviews (pass --data DIR, the shared data folder)');
  const reviews = parseDruglibReviews(readFileSync(file, 'utf8'));
  return split === 'test' ? reviews : reviews.filter((r) => r.id % 5 === 0);
}

const fmt = (x: number | undefined): string => (x === undefined ? '  n/a' : x.toFixed(3));

function summaryLine(f: SentimentFigures): string {
  return (
    `${`${f.classifier} ${f.version}`.padEnd(34)} ${fmt(f.binaryAccuracy)}   ${fmt(f.binaryMacroF1)}     ` +
    `${fmt(f.threeClassMacroF1)}     ${fmt(f.severityMacroF1)}   ${f.itemsPerSecond.toFixed(0).padStart(6)}`
  );
}

/** `--model chartmine-sentiment|lexicon|<folder>`, `--dtype int8|fp32`, `--split test|devel`, `--limit N`. */
export function createSentimentSuite(
  loadModel: (o: { modelsDir: string; name: string; dtype: 'int8' | 'fp32'; threads: number }) => Promise<
    SentimentClassifier & { close?: () => Promise<void> }
  > = loadSentimentModel
): EvalSuite {
  return {
    name: 'sentiment',
    summary:
      'feedback polarity on Druglib reviews vs the lexicon ' +
      '(--model NAME|lexicon, --dtype int8|fp32, --split test|devel, --limit N)',
    async run({ dataDir, args }): Promise<EvalReport> {
      const { values } = parseArgs({
        args: [...args],
        options: {
          split: { type: 'string', default: 'test' },
          model: { type: 'string', default: 'chartmine-sentiment' },
          'models-dir': { type: 'string', default: DEFAULT_MODELS_DIR },
          dtype: { type: 'string', default: 'int8' },
          threads: { type: 'string', default: '2' },
          limit: { type: 'string' },
        },
        strict: true,
      });
      let reviews = readDruglibSplit(dataDir, String(values.split));
      if (values.limit) reviews = reviews.slice(0, Math.max(1, Number(values.limit) || reviews.length));
      const figures: SentimentFigures[] = [];
      if (values.model !== 'lexicon') {
        const model = await loadModel({
          modelsDir: String(values['models-dir']),
          name: String(values.model),
          dtype: values.dtype === 'fp32' ? 'fp32' : 'int8',
          threads: Number(values.threads) || 2,
        });
        try {
          figures.push(await evaluateSentiment(model, reviews));
        } finally {
          await model.close?.();
        }
      }
      figures.push(await evaluateSentiment(createLexiconSentimentClassifier(), reviews));
      const [main] = figures;
      const text = [
        `sentiment ${String(values.split)}: ${reviews.length} reviews (${main.binaryItems} positive or negative)`,
        `${'classifier'.padEnd(34)} bin-acc bin-macroF1 3-class-F1 severity-F1 items/s`,
        ...figures.map(summaryLine),
        '',
        formatMetricTable(main.rows),
      ].join('\n');
      return { suite: 'sentiment', rows: main.rows, extra: { split: values.split, figures }, text };
    },
  };
}

export const sentimentSuite: EvalSuite = createSentimentSuite();
