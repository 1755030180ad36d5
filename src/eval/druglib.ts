/**
 * The Druglib.com review files (`druglib-reviews/drugLib{Train,Test}_raw.tsv`): a TAB-separated reader that
 * handles quoted fields with line breaks, and the labels `eval sentiment` scores (the recipe,
 * `models/sentiment/sentdata.py`, derives the same ones). Pure.
 */
import type { SentimentLabel, SeverityLabel } from '../feedback/sentiment.js';
import { SEVERITY_LABELS } from '../feedback/sentiment.js';

/** One review with its gold labels. */
export interface DruglibReview {
  readonly id: number;
  readonly drug: string;
  readonly rating: number;
  readonly polarity: SentimentLabel;
  readonly severity: SeverityLabel | undefined;
  /** The three free-text fields (benefits, side effects, comments), trimmed, non-empty ones joined by a line break. */
  readonly text: string;
}

const SEVERITY_COLUMN = [
  'No Side Effects',
  'Mild Side Effects',
  'Moderate Side Effects',
  'Severe Side Effects',
  'Extremely Severe Side Effects',
];
const TEXT_COLUMNS = ['benefitsReview', 'sideEffectsReview', 'commentsReview'];
const REQUIRED_COLUMNS = ['reviewID', 'urlDrugName', 'rating', 'sideEffects', ...TEXT_COLUMNS];

/**
 * Polarity from a 1–10 rating: ≥ 7 positive, 5–6 neutral, ≤ 4 negative.
 * @param rating - the rating.
 * @returns the label.
 */
export function toPolarity(rating: number): SentimentLabel {
  if (rating >= 7) return 'positive';
  return rating >= 5 ? 'neutral' : 'negative';
}

/**
 * Splits TSV text into rows of fields: a field that starts with `"` runs to the next lone `"` (a doubled `""` is a
 * quote) and may hold TABs and line breaks; CR LF and LF end rows.
 * @param content - the file's text.
 * @returns rows (blank lines dropped).
 */
export function parseTsv(content: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  const n = content.length;
  while (i < n) {
    const ch = content[i];
    if (ch === '"' && field === '') {
      let j = i + 1;
      for (;;) {
        const q = content.indexOf('"', j);
        if (q < 0) {
          field += content.slice(j);
          j = n;
          break;
        }
        field += content.slice(j, q);
        if (content[q + 1] === '"') {
          field += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      i = j;
    } else if (ch === '\t') {
      row.push(field);
      field = '';
      i++;
    } else if (ch === '\n' || ch === '\r') {
      row.push(field);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      field = '';
      i += ch === '\r' && content[i + 1] === '\n' ? 2 : 1;
    } else {
      field += ch;
      i++;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Reads a Druglib review file's text.
 * @param content - the TSV text (header row first).
 * @returns the reviews.
 * @throws Error naming the missing column or the line of a bad rating (never review text).
 */
export function parseDruglibReviews(content: string): DruglibReview[] {
  const [header = [], ...rows] = parseTsv(content);
  const col = Object.fromEntries(header.map((h, i) => [h.trim(), i]));
  for (const c of REQUIRED_COLUMNS) if (col[c] === undefined) throw new Error(`druglib file lacks the '${c}' column`);
  return rows.map((r, k) => {
    const rating = Number(r[col.rating]);
    if (!Number.isInteger(rating) || rating < 1 || rating > 10) {
      throw new Error(`druglib row ${k + 1}: rating is not 1-10`);
    }
    const sev = SEVERITY_COLUMN.indexOf((r[col.sideEffects] ?? '').trim());
    return {
      id: Number(r[col.reviewID]),
      drug: r[col.urlDrugName] ?? '',
      rating,
      polarity: toPolarity(rating),
      severity: sev >= 0 ? SEVERITY_LABELS[sev] : undefined,
      text: TEXT_COLUMNS.map((c) => (r[col[c]] ?? '').trim())
        .filter(Boolean)
        .join('\n'),
    };
  });
}
