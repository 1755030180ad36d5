/**
 * Reading the MTSamples corpus (`../shared/data/mtsamples/mtsamples.csv.gz`, RFC-4180 CSV) for the offsets test and
 * the rules benchmark. Test and benchmark support only: production code never reads notes from files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** One MTSamples note. */
export interface MtsamplesNote {
  readonly noteId: number;
  readonly specialty: string;
  readonly text: string;
}

/** Where the shared data usually is, relative to the repository root. */
export const MTSAMPLES_RELATIVE_PATH = '../shared/data/mtsamples/mtsamples.csv.gz';

/**
 * Parses RFC-4180 CSV (quoted fields, doubled quotes, newlines inside quotes).
 * @param csv - the CSV text.
 * @returns the rows as arrays of fields.
 */
export function parseCsv(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  const n = csv.length;
  while (i < n) {
    let field: string;
    if (csv[i] === '"') {
      // quoted field: copy runs between quotes with slice (no per-character concatenation)
      const parts: string[] = [];
      let p = i + 1;
      for (;;) {
        const q = csv.indexOf('"', p);
        if (q < 0) {
          parts.push(csv.slice(p));
          p = n;
          break;
        }
        parts.push(csv.slice(p, q));
        if (csv[q + 1] === '"') {
          parts.push('"');
          p = q + 2;
        } else {
          p = q + 1;
          break;
        }
      }
      field = parts.join('');
      i = p;
    } else {
      let p = i;
      while (p < n && csv[p] !== ',' && csv[p] !== '\n' && csv[p] !== '\r') p++;
      field = csv.slice(i, p);
      i = p;
    }
    row.push(field);
    if (i >= n) break;
    if (csv[i] === ',') {
      i++;
      if (i >= n) row.push('');
      continue;
    }
    // end of record
    if (csv[i] === '\r' && csv[i + 1] === '\n') i++;
    i++;
    rows.push(row);
    row = [];
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

/**
 * Reads the MTSamples notes from the gzipped CSV.
 * @param path - the `.csv.gz` file.
 * @returns the notes (empty transcriptions included), or `undefined` when the file is absent.
 */
export function readMtsamplesNotes(path: string): MtsamplesNote[] | undefined {
  if (!existsSync(path)) return undefined;
  const [header, ...rows] = parseCsv(gunzipSync(readFileSync(path)).toString('utf8'));
  const idCol = header.indexOf('note_id');
  const specialtyCol = header.indexOf('medical_specialty');
  const textCol = header.indexOf('transcription');
  if (idCol < 0 || textCol < 0) throw new Error(`${path}: expected note_id and transcription columns`);
  return rows
    .filter((r) => r.length > textCol)
    .map((r) => ({ noteId: Number(r[idCol]), specialty: r[specialtyCol] ?? '', text: r[textCol] }));
}
