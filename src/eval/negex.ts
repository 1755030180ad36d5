/**
 * `chartmine eval negex`: the ConText reference standard (Chapman/Harkema; 2,376 condition mentions from 120
 * reports, `negex-context/rsAnnotations-1-120-random.txt`) scored per category: negation, historical,
 * hypothetical (annotated "Not particular") and experiencer other than the patient. The headline table is the
 * evaluation split, lines 1901–2376, which no rule was tuned on; lines 1–1900 are the development part. Numbers on
 * all lines are printed separately, labelled, for comparison with the published NegEx / ConText figures, which
 * were measured on all 2,376 lines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissingInputError } from '../errors.js';
import { assertTarget } from '../nlp/assert-target.js';
import { readRuleLexicons } from '../nlp/lexicons/rule-lexicons.js';
import type { ContextAttributes, Span } from '../nlp/types.js';
import { formatMetricTable, toMetricRow, type EvalReport, type EvalSuite, type MetricRow } from './suite.js';

/** The file, relative to the data directory. */
export const NEGEX_FILE = 'negex-context/rsAnnotations-1-120-random.txt';
/** Held-out line numbers whose sentence occurs nowhere in lines 1–1900 (`SOURCE.md`: the figure to report). */
export const NEGEX_SENTENCE_DISJOINT_FILE = 'negex-context/evaluation-lines-sentence-disjoint.txt';
/** First line number of the held-out evaluation split (inclusive), per `negex-context/SOURCE.md`. */
export const NEGEX_EVAL_FIRST_LINE = 1901;

/** Published figures on the same 2,376 annotations (all lines), with where they were published. */
export const NEGEX_PUBLISHED = [
  {
    system: 'NegEx (GenNegEx v1.2)',
    lines: '1-2376',
    category: 'negated',
    precision: 0.9327,
    recall: 0.9593,
    f1: 0.9458,
    source: 'chapmanbe/negex TestSet.md "Performance stats" (github.com/chapmanbe/negex, commit 73d54f5)',
  },
  {
    system: 'ConText (genConText, Java)',
    lines: '1-2376',
    category: 'negated',
    precision: 0.9836,
    recall: 0.9776,
    f1: 0.9806,
    source: 'chapmanbe/negex genConText/README.txt "Evaluation for Negation" (commit 21b013c)',
  },
] as const;

/** One annotated mention. */
export interface NegexRow {
  readonly line: number;
  readonly condition: string;
  readonly sentence: string;
  readonly negation: 'Affirmed' | 'Negated';
  readonly temporality: 'Recent' | 'Historical' | 'Not particular';
  readonly experiencer: 'Patient' | 'Family member' | 'Other';
}

/** A row with the system's decision. */
export interface NegexJudged {
  readonly row: NegexRow;
  readonly span: Span | undefined;
  readonly predicted: ContextAttributes;
}

/** The categories scored, each as a gold and a predicted predicate. */
export const NEGEX_CATEGORIES: readonly {
  readonly name: string;
  readonly gold: (r: NegexRow) => boolean;
  readonly predicted: (a: ContextAttributes) => boolean;
}[] = [
  { name: 'negated', gold: (r) => r.negation === 'Negated', predicted: (a) => a.negation === 'negated' },
  { name: 'historical', gold: (r) => r.temporality === 'Historical', predicted: (a) => a.temporality === 'historical' },
  { name: 'hypothetical', gold: (r) => r.temporality === 'Not particular', predicted: (a) => a.temporality === 'hypothetical' },
  { name: 'experiencer-other', gold: (r) => r.experiencer !== 'Patient', predicted: (a) => a.experiencer !== 'patient' },
];

/**
 * Parses the reference standard (TAB-separated, header line first; Latin-1).
 * @param content - the file content.
 * @returns the rows; throws naming the line of a malformed one.
 */
export function parseNegexAnnotations(content: string): NegexRow[] {
  const rows: NegexRow[] = [];
  content.split(/\r?\n/).forEach((line, i) => {
    if (i === 0 || line.trim() === '') return;
    const [num, condition, sentence, negation, temporality, experiencer] = line.split('\t');
    const row = { line: Number(num), condition, sentence, negation, temporality, experiencer } as NegexRow;
    if (!Number.isInteger(row.line) || !condition || sentence === undefined || !['Affirmed', 'Negated'].includes(negation)) {
      throw new Error(`${NEGEX_FILE} line ${i + 1}: malformed row`);
    }
    rows.push(row);
  });
  return rows;
}

/**
 * Finds the condition in its sentence: the annotators upper-cased it there, so an upper-case occurrence that is not
 * a header wins.
 * @param row - the annotated row.
 * @returns the span, or `undefined` when the condition is not in the sentence.
 */
export function locateCondition(row: Pick<NegexRow, 'condition' | 'sentence'>): Span | undefined {
  const words = row.condition.trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (words.length === 0 || words[0] === '') return undefined;
  const re = new RegExp(words.join('\\s+'), 'gi');
  let first: Span | undefined;
  let upper: Span | undefined;
  let m: RegExpExecArray | null;
  while ((m = re.exec(row.sentence)) !== null) {
    const span = { start: m.index, end: m.index + m[0].length };
    first ??= span;
    if (m[0] !== m[0].toUpperCase()) continue;
    // an upper-case header ("ALLERGIES:  He has no known ALLERGIES.") is not the annotated mention
    if (!/^\s*:/.test(row.sentence.slice(span.end))) return span;
    upper ??= span;
  }
  return upper ?? first;
}

/**
 * Judges every row with `assertTarget` (the same code as `chartmine assert`).
 * @param rows - the annotated rows.
 * @returns the judged rows.
 */
export function judgeNegexRows(rows: readonly NegexRow[]): NegexJudged[] {
  const lexicons = readRuleLexicons();
  return rows.map((row) => {
    const span = locateCondition(row);
    const predicted: ContextAttributes = span
      ? assertTarget(row.sentence, span, lexicons).context
      : { negation: 'affirmed', temporality: 'recent', experiencer: 'patient' };
    return { row, span, predicted };
  });
}

/**
 * Scores judged rows per category.
 * @param judged - the judged rows.
 * @returns one metric row per category.
 */
export function scoreNegex(judged: readonly NegexJudged[]): MetricRow[] {
  return NEGEX_CATEGORIES.map((c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const j of judged) {
      const g = c.gold(j.row);
      const p = c.predicted(j.predicted);
      if (g && p) tp++;
      else if (p) fp++;
      else if (g) fn++;
    }
    return toMetricRow(c.name, tp, fp, fn);
  });
}

/** The `negex` suite. Options: `--errors` lists the development lines (1–1900 only) it gets wrong. */
export const negexSuite: EvalSuite = {
  name: 'negex',
  summary: 'ConText/NegEx reference standard: negation, historical, hypothetical, experiencer (P/R/F1)',
  async run({ dataDir, args }): Promise<EvalReport> {
    const path = join(dataDir, NEGEX_FILE);
    if (!existsSync(path)) throw new MissingInputError(path, 'NegEx/ConText reference standard (pass --data DIR, the shared data folder)');
    const rows = parseNegexAnnotations(readFileSync(path, 'latin1'));
    const judged = judgeNegexRows(rows);
    const evalSplit = judged.filter((j) => j.row.line >= NEGEX_EVAL_FIRST_LINE);
    const devSplit = judged.filter((j) => j.row.line < NEGEX_EVAL_FIRST_LINE);
    const evalRows = scoreNegex(evalSplit);
    const allRows = scoreNegex(judged);
    const devRows = scoreNegex(devSplit);
    const unlocated = judged.filter((j) => !j.span).length;
    const disjointPath = join(dataDir, NEGEX_SENTENCE_DISJOINT_FILE);
    const disjointLines = existsSync(disjointPath) ? parseLineNumbers(readFileSync(disjointPath, 'utf8')) : undefined;
    const disjoint = disjointLines ? judged.filter((j) => disjointLines.has(j.row.line)) : undefined;
    const disjointRows = disjoint ? scoreNegex(disjoint) : undefined;
    const text = [
      `Suite negex: ${NEGEX_FILE}`,
      `${rows.length} annotated mentions; condition not found in its sentence: ${unlocated}.`,
      '',
      ...(disjoint && disjointRows
        ? [
            `Sentence-disjoint evaluation rows (${NEGEX_SENTENCE_DISJOINT_FILE}: ${disjoint.length} mentions whose sentence occurs nowhere in lines 1-${NEGEX_EVAL_FIRST_LINE - 1}; the figure to report):`,
            formatMetricTable(disjointRows),
            '',
          ]
        : [`(${NEGEX_SENTENCE_DISJOINT_FILE} not found: no sentence-disjoint figures)`, '']),
      `Evaluation split: lines ${NEGEX_EVAL_FIRST_LINE}-${rows.length} (${evalSplit.length} mentions, held out, never tuned on)`,
      formatMetricTable(evalRows),
      '',
      `All lines 1-${rows.length} (${judged.length} mentions; includes the development lines 1-${NEGEX_EVAL_FIRST_LINE - 1} the lexicon was tuned on):`,
      formatMetricTable(allRows),
      '',
      'Published figures on the same annotations (all lines, negation only):',
      ...NEGEX_PUBLISHED.map(
        (p) =>
          `  ${p.system.padEnd(28)} P ${p.precision.toFixed(3)}  R ${p.recall.toFixed(3)}  F1 ${p.f1.toFixed(3)}   source: ${p.source}`
      ),
      '  (No published per-category figures for historical / hypothetical / experiencer on this file were found in a',
      '   retrievable source; Harkema et al., J Biomed Inform 2009;42:839-51 report them per report type.)',
      ...(args.includes('--errors') ? ['', 'Development-line errors (lines 1-1900 only):', ...listErrors(devSplit)] : []),
    ].join('\n');
    return {
      suite: 'negex',
      rows: evalRows,
      extra: {
        split: { eval: `lines ${NEGEX_EVAL_FIRST_LINE}-${rows.length}`, mentions: evalSplit.length },
        allLines: { lines: `1-${rows.length}`, mentions: judged.length, rows: allRows },
        developmentLines: { lines: `1-${NEGEX_EVAL_FIRST_LINE - 1}`, mentions: devSplit.length, rows: devRows },
        ...(disjoint && disjointRows ? { sentenceDisjoint: { file: NEGEX_SENTENCE_DISJOINT_FILE, mentions: disjoint.length, rows: disjointRows } } : {}),
        unlocatedConditions: unlocated,
        published: NEGEX_PUBLISHED,
      },
      text,
    };
  },
};

/** One line number per line; blank lines and `#` comments skipped; anything else is an error naming the line. */
function parseLineNumbers(content: string): Set<number> {
  const out = new Set<number>();
  content.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    if (!/^\d+$/.test(t)) throw new Error(`${NEGEX_SENTENCE_DISJOINT_FILE} line ${i + 1}: expected a line number`);
    out.add(Number(t));
  });
  return out;
}

function listErrors(judged: readonly NegexJudged[]): string[] {
  const out: string[] = [];
  for (const j of judged) {
    const wrong = NEGEX_CATEGORIES.filter((c) => c.gold(j.row) !== c.predicted(j.predicted)).map((c) => c.name);
    if (wrong.length === 0) continue;
    out.push(`  line ${j.row.line} [${wrong.join(',')}] ${JSON.stringify(j.predicted)} :: ${j.row.sentence.replace(/\s+/g, ' ').slice(0, 240)}`);
  }
  return out;
}
