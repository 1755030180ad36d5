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
  let field = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (quoted) {
      if (c === '"') {
        if (csv[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && csv[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
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
