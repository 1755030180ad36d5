/** Sums note scores into the `eval notes` report and formats it (and `--details`). Pure. */
import type { CategoryCounts, Judged, NoteScore } from './notes-score.js';
import { spanText, type WrittenItem } from './notes-written.js';
import { formatMetricTable, toMetricRow, type EvalReport, type MetricRow } from './suite.js';

const ROW_ORDER = [
  ['conditions', 'conditions (strict)'],
  ['conditions (lenient)', 'conditions (lenient)'],
  ['procedures', 'procedures'],
  ['medications', 'medications'],
  ['observations', 'observations'],
  ['allergies', 'allergies'],
  ['family history', 'family history'],
] as const;

/** Targets of issue 11, printed under the table. */
const TARGETS =
  'Targets: conditions F1 (strict) >= 0.85, assertion accuracy >= 0.95, medications F1 >= 0.90 and status accuracy >= 0.90, ' +
  'observations F1 >= 0.92, allergies recall >= 0.90, family history recall >= 0.90, procedures F1 >= 0.80, hypothetical written 0.';

/** Accuracy with its confusion matrix (gold → written → count). */
export interface Agreement {
  readonly correct: number;
  readonly total: number;
  readonly accuracy: number;
  readonly matrix: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * Builds the report of a split.
 * @param split - `dev` or `test`.
 * @param scores - one score per note.
 * @returns rows, extra figures and the text table.
 */
export function buildNotesReport(split: string, scores: readonly NoteScore[]): EvalReport {
  const sum = (key: keyof NoteScore['counts']): CategoryCounts =>
    scores.reduce<CategoryCounts>(
      (acc, s) => {
        const c = s.counts[key];
        return { tp: acc.tp + c.tp, fp: acc.fp + c.fp, fn: acc.fn + c.fn, written: acc.written + c.written, required: acc.required + c.required };
      },
      { tp: 0, fp: 0, fn: 0, written: 0, required: 0 }
    );
  const totals = Object.fromEntries(ROW_ORDER.map(([key]) => [key, sum(key)])) as Record<(typeof ROW_ORDER)[number][0], CategoryCounts>;
  const rows: MetricRow[] = ROW_ORDER.map(([key, label]) => toMetricRow(label, totals[key].tp, totals[key].fp, totals[key].fn));
  const assertion = agreement(scores.flatMap((s) => s.assertions));
  const status = agreement(scores.flatMap((s) => s.statuses));
  const hypotheticalWritten = scores.reduce((n, s) => n + s.hypotheticalWritten, 0);
  const resourcesPerEntry = Object.fromEntries(
    ROW_ORDER.filter(([key]) => key !== 'conditions (lenient)').map(([key, label]) => [label, ratio(totals[key].written, totals[key].required)])
  );
  const allWritten = ROW_ORDER.filter(([key]) => key !== 'conditions (lenient)').reduce((n, [key]) => n + totals[key].written, 0);
  const allRequired = ROW_ORDER.filter(([key]) => key !== 'conditions (lenient)').reduce((n, [key]) => n + totals[key].required, 0);
  const rowOf = (label: string): MetricRow => rows.find((r) => r.category === label) as MetricRow;
  const lines = [
    `Clinical notes (${split}): ${scores.length} notes, written resources vs the gold answer (GUIDELINES.md "Scoring"; micro-averaged).`,
    '',
    formatMetricTable(rows),
    '',
    `allergies recall ${rowOf('allergies').recall.toFixed(3)}   family history recall (FamilyMemberHistory with the relative) ${rowOf('family history').recall.toFixed(3)}`,
    `assertion accuracy on matched conditions: ${assertion.accuracy.toFixed(3)} (${assertion.correct}/${assertion.total})`,
    ...formatMatrix(assertion.matrix, 'gold \\ written'),
    `medication status accuracy on matched medications: ${status.accuracy.toFixed(3)} (${status.correct}/${status.total})`,
    ...formatMatrix(status.matrix, 'gold \\ written'),
    `hypothetical findings written as Condition: ${hypotheticalWritten}`,
    `resources per gold entry: ${ratio(allWritten, allRequired).toFixed(2)} (${allWritten} written / ${allRequired} required gold entries); ` +
      Object.entries(resourcesPerEntry)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', '),
    '',
    TARGETS,
  ];
  return {
    suite: 'notes',
    rows,
    extra: { split, notes: scores.length, assertion, medicationStatus: status, hypotheticalWritten, resourcesPerGoldEntry: { all: ratio(allWritten, allRequired), ...resourcesPerEntry } },
    text: lines.join('\n'),
  };
}

/**
 * `--details`: every miss, false positive, wrong assertion and wrong status, per note, with the note's text behind
 * each written item (its derivation-reference spans).
 * @param scores - the note scores.
 * @param texts - note id → note text.
 * @returns the text.
 */
export function formatNotesDetails(scores: readonly NoteScore[], texts: ReadonlyMap<string, string>): string {
  const out: string[] = [];
  for (const s of scores) {
    const text = texts.get(s.id) ?? '';
    const lines = [
      ...s.misses.map((m) => `  MISS  ${m.category.padEnd(14)} ${m.gold}`),
      ...s.falsePositives.map((f) => `  FP    ${f.category.padEnd(14)} ${describeItem(f.item)}${f.reason === 'no gold entry' ? '' : ` (${f.reason})`}  «${spanText(f.item, text)}»`),
      ...s.assertions.filter((a) => !a.correct).map((a) => `  ASSERTION ${a.gold}: wrote ${a.written} (accepted: ${a.accepted.join('/')})  «${spanText(a.item, text)}»`),
      ...s.statuses.filter((a) => !a.correct).map((a) => `  STATUS    ${a.gold}: wrote ${a.written} (accepted: ${a.accepted.join('/')})  «${spanText(a.item, text)}»`),
    ];
    if (lines.length > 0) out.push(`${s.id}`, ...lines);
  }
  return out.join('\n');
}

function describeItem(w: WrittenItem): string {
  const codes = [...w.icd10cm, ...w.snomed, ...w.rxnorm, ...w.loinc].join(' ');
  const extra =
    w.resourceType === 'Condition'
      ? ` ${w.assertion ?? ''}`
      : w.resourceType === 'MedicationStatement'
        ? ` ${w.status ?? ''}`
        : w.resourceType === 'Observation'
          ? ` ${w.comparator ?? ''}${w.value ?? '(no value)'} ${w.unit ?? ''}`
          : w.resourceType === 'FamilyMemberHistory'
            ? ` (${w.relative ?? ''})`
            : '';
  return `${w.resourceType} "${w.name}" [${codes}]${extra}`;
}

function agreement(judged: readonly Judged[]): Agreement {
  const matrix: Record<string, Record<string, number>> = {};
  let correct = 0;
  for (const j of judged) {
    const row = (matrix[j.expected] ??= {});
    row[j.written] = (row[j.written] ?? 0) + 1;
    if (j.correct) correct++;
  }
  return { correct, total: judged.length, accuracy: judged.length === 0 ? 0 : correct / judged.length, matrix };
}

function formatMatrix(matrix: Agreement['matrix'], corner: string): string[] {
  const rows = Object.keys(matrix).sort();
  const cols = [...new Set(rows.flatMap((r) => Object.keys(matrix[r])))].sort();
  if (rows.length === 0) return [];
  const width = Math.max(corner.length, ...rows.map((r) => r.length));
  const colWidth = Math.max(6, ...cols.map((c) => c.length));
  return [
    `  ${corner.padEnd(width)} ${cols.map((c) => c.padStart(colWidth)).join(' ')}`,
    ...rows.map((r) => `  ${r.padEnd(width)} ${cols.map((c) => String(matrix[r][c] ?? 0).padStart(colWidth)).join(' ')}`),
  ];
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}
