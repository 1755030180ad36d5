/** An evaluation suite for `chartmine eval <suite>`: it reads a data directory and prints numbers. */

/** One row of a metrics table. */
export interface MetricRow {
  readonly category: string;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** What a suite returns: metric rows plus anything else worth printing (published figures, counts, notes). */
export interface EvalReport {
  readonly suite: string;
  readonly rows: readonly MetricRow[];
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Pre-formatted text table for humans; `--json` prints the report object instead. */
  readonly text: string;
}

/** A registered suite. `dataDir` defaults to `../shared/data`; suites say clearly which files are missing. */
export interface EvalSuite {
  readonly name: string;
  readonly summary: string;
  run(options: { readonly dataDir: string; readonly args: readonly string[] }): Promise<EvalReport>;
}

/**
 * Precision, recall and F1 from counts; 0 where undefined.
 * @param category - the row's label.
 * @param tp - true positives.
 * @param fp - false positives.
 * @param fn - false negatives.
 * @returns the metric row.
 */
export function toMetricRow(category: string, tp: number, fp: number, fn: number): MetricRow {
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { category, tp, fp, fn, precision, recall, f1 };
}

/**
 * Formats metric rows as a fixed-width table.
 * @param rows - the rows.
 * @returns the table text.
 */
export function formatMetricTable(rows: readonly MetricRow[]): string {
  const width = Math.max(8, ...rows.map((r) => r.category.length));
  const head = `${'category'.padEnd(width)}  ${['tp', 'fp', 'fn'].map((h) => h.padStart(6)).join('')}  precision  recall      f1`;
  const body = rows.map(
    (r) =>
      `${r.category.padEnd(width)}  ${[r.tp, r.fp, r.fn].map((n) => String(n).padStart(6)).join('')}  ` +
      `${r.precision.toFixed(3).padStart(9)}  ${r.recall.toFixed(3).padStart(6)}  ${r.f1.toFixed(3).padStart(6)}`
  );
  return [head, ...body].join('\n');
}
